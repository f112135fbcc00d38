-- micado's routes inside the proxy's nginx (Debian's libnginx-mod-http-lua).
--
-- The route agent keeps each route's running instances in the shared dictionary
-- `micado_routes` (PUT /routes on nginx's loopback-only control listener, the whole
-- table each time: one line per route, "DOMAIN/PATH ADDRESS:PORT ..."). Requests read it:
-- a replica started, stopped or moved changes no configuration and reloads nothing, so
-- no client connection is closed for it. nginx.conf and the agent's routes.conf name
-- this module, the dictionary and the upstream `micado_routes`.
local balancer = require "ngx.balancer"

local routes = ngx.shared.micado_routes
local M = {}

-- Per worker: each route's table as last parsed (re-parsed when its text changes),
-- where its round robin stands, and peers resting after a failure.
local parsed = {}
local position = {}
local resting = {}
-- As nginx's own `max_fails=1 fail_timeout=5s`: a peer that failed is skipped for 5 s
-- (unless every peer is), long enough for the catalog to catch up with it.
local REST_SECONDS = 5
-- A request is tried on at most this many peers.
local MAX_TRIES = 3

-- PUT /routes: the whole table. Routes absent from it are removed.
function M.update()
  if ngx.req.get_method() ~= "PUT" then
    return ngx.exit(ngx.HTTP_NOT_ALLOWED)
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data() or ""
  local seen = {}
  for line in body:gmatch("[^\n]+") do
    local route, peers = line:match("^(%S+)%s*(.-)%s*$")
    if route then
      seen[route] = true
      if routes:get(route) ~= peers then
        local ok, err = routes:set(route, peers)
        if not ok then
          ngx.status = ngx.HTTP_INSUFFICIENT_STORAGE
          ngx.say("micado proxy: route table full: ", err)
          return ngx.exit(ngx.status)
        end
      end
    end
  end
  for _, route in ipairs(routes:get_keys(0)) do
    if not seen[route] then
      routes:delete(route)
    end
  end
  ngx.say("routes: ", #routes:get_keys(0))
end

local function peers_of(route)
  local text = routes:get(route)
  if not text or text == "" then
    parsed[route] = nil
    return nil
  end
  local known = parsed[route]
  if not known or known.text ~= text then
    local peers = {}
    for address, port in text:gmatch("(%d+%.%d+%.%d+%.%d+):(%d+)") do
      peers[#peers + 1] = { address = address, port = tonumber(port), name = address .. ":" .. port }
    end
    known = { text = text, peers = peers }
    parsed[route] = known
  end
  return #known.peers > 0 and known.peers or nil
end

-- Access phase: a route with no running instance answers 503, naming its domain.
--
-- A request with the header X-Micado-Route-Check is micado asking whether this proxy
-- routes it (list -c, info -s): answered here, never forwarded, with the route that
-- took it and how many instances that route has. It tells no one more than a request
-- of their own would (a route answers, and with 503 when it has no instance).
function M.check()
  local route = ngx.var.micado_route
  if ngx.var.http_x_micado_route_check then
    local peers = peers_of(route)
    ngx.status = ngx.HTTP_NO_CONTENT
    ngx.header["X-Micado-Route"] = route
    ngx.header["X-Micado-Peers"] = peers and #peers or 0
    ngx.send_headers()
    return ngx.exit(ngx.HTTP_NO_CONTENT)
  end
  if peers_of(route) then
    return
  end
  ngx.status = ngx.HTTP_SERVICE_UNAVAILABLE
  ngx.header.content_type = "text/plain"
  ngx.say("micado proxy: no running container serves ", ngx.var.micado_domain)
  return ngx.exit(ngx.status)
end

-- Balancer phase: round robin over the route's peers, skipping resting ones and those
-- this request already tried; on a retry, the peer that just failed starts resting.
function M.balance()
  local route = ngx.var.micado_route
  local peers = peers_of(route)
  if not peers then
    return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
  end
  local ctx = ngx.ctx
  local now = ngx.now()
  if ctx.tried then
    resting[ctx.last] = now + REST_SECONDS
  else
    ctx.tried = {}
    if #peers > 1 then
      balancer.set_more_tries(math.min(#peers, MAX_TRIES) - 1)
    end
  end
  local count = #peers
  local start = position[route] or 0
  local chosen, at
  -- First a peer neither tried nor resting; failing that, one not tried.
  for pass = 1, 2 do
    for i = 1, count do
      local k = (start + i - 1) % count + 1
      local peer = peers[k]
      if not ctx.tried[peer.name] and (pass == 2 or (resting[peer.name] or 0) <= now) then
        chosen, at = peer, k
        break
      end
    end
    if chosen then
      break
    end
  end
  if not chosen then
    at = start % count + 1
    chosen = peers[at]
  end
  position[route] = at
  ctx.tried[chosen.name] = true
  ctx.last = chosen.name
  local ok, err = balancer.set_current_peer(chosen.address, chosen.port)
  if not ok then
    ngx.log(ngx.ERR, "micado proxy: peer ", chosen.name, ": ", err)
    return ngx.exit(ngx.HTTP_BAD_GATEWAY)
  end
end

return M
