-- wrk's summary as one JSON line, for tests that read it: requests, socket errors by
-- kind, and answers with a status other than 2xx or 3xx.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}\n',
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status))
end
