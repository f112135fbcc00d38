/**
 * The dashboard page: renders the manager's state whole each time one arrives over
 * Server-Sent Events (/dashboard/stream); EventSource reconnects by itself when the
 * manager goes and comes back. Text from the cluster is escaped before it reaches the
 * page. Charts by uPlot, bundled: the page needs no network but the manager's.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import type { DashboardState, NodeCard, ContainerRow } from '../dashboard-state.js';

interface Amount {
  cpuMilli: number;
  memoryMb: number;
}

const byId = (id: string) => document.getElementById(id)!;

const escape = (text: unknown) =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour12: false });

/** A bar of one resource: what is reserved and what is used, against the capacity. */
function bar(label: string, unit: string, capacity: number, reserved: number, used?: number) {
  const share = (x: number) => (capacity > 0 ? Math.min(100, (100 * x) / capacity) : 0);
  const usedText = used === undefined ? '' : `, ${Math.round(used)}${unit} used`;
  return `<div class="bar" title="${escape(`${label}: ${reserved}${unit} reserved${usedText} of ${capacity}${unit}`)}">
    <span class="label">${label}</span>
    <span class="track"><span class="reserved" style="width:${share(reserved)}%"></span>${
      used === undefined ? '' : `<span class="used" style="width:${share(used)}%"></span>`
    }</span>
    <span class="figure">${reserved}/${capacity}${unit}</span></div>`;
}

function nodeCard(node: NodeCard): string {
  const state = node.state.replace(/\s/g, '-');
  const what = [node.pool, node.flavour, node.cloud].filter(Boolean).map(escape).join(' · ');
  const used: Partial<Amount> = node.used ?? {};
  return `<article class="card ${escape(state)}${node.stale ? ' stale' : ''}" data-node="${escape(node.name)}" data-state="${escape(node.state)}">
    <h3>${escape(node.name)} <span class="state">${escape(node.state)}${node.stale ? ' · stale' : ''}</span></h3>
    <p class="what">${escape(node.role)}${what ? ` · ${what}` : ''}</p>
    ${node.capacity.cpuMilli > 0 || node.capacity.memoryMb > 0
      ? bar('CPU', 'm', node.capacity.cpuMilli, node.reserved.cpuMilli, used.cpuMilli) +
        bar('memory', ' MB', node.capacity.memoryMb, node.reserved.memoryMb, used.memoryMb)
      : ''}
  </article>`; // prettier-ignore
}

function containerRow(c: ContainerRow): string {
  const domain = c.domain
    ? c.proxied === 'served'
      ? `<a href="http://${escape(c.domain)}${escape(c.path ?? '/')}">${escape(c.domain)}${escape(c.path ?? '')}</a>`
      : `${escape(c.domain)}${escape(c.path ?? '')} <small>(${escape(c.proxied)})</small>`
    : '-';
  const where = c.tasks
    .map((t) => `${escape(t.node)} <small>${escape(t.state)}</small>`)
    .join(', ');
  const usage = c.used
    ? `CPU ${Math.round(c.used.cpuMilli)}/${c.reserved.cpuMilli}m, ${Math.round(c.used.memoryMb)}/${c.reserved.memoryMb} MB`
    : `reserves ${c.reserved.cpuMilli}m, ${c.reserved.memoryMb} MB`;
  return `<tr data-container="${escape(c.name)}" data-state="${escape(c.state)}">
    <td>${escape(c.name)}</td><td>${escape(c.origin)}</td><td>${escape(c.client)}</td><td>${escape(c.image)}</td><td>${domain}</td>
    <td class="state">${escape(c.state)}</td><td>${c.replicas.running}/${c.replicas.desired}</td>
    <td>${where || '-'}</td><td>${usage}</td></tr>`; // prettier-ignore
}

const charts = new Map<string, uPlot>();
/** The charts show a quarter of an hour at least, up to the window of the state. */
const LEAST_SPAN_S = 15 * 60;

function chart(id: string, points: [number, number][], now: number) {
  // From a quarter of an hour back at least (the first value held) to now (the last held).
  const start = now - LEAST_SPAN_S * 1000;
  const first = points[0];
  const last = points.at(-1);
  const through: [number, number][] = [
    ...(first && first[0] <= start ? [] : [[start, first?.[1] ?? 0] as [number, number]]),
    ...points,
    ...(last && last[0] >= now ? [] : [[now, last?.[1] ?? 0] as [number, number]]),
  ];
  const data: uPlot.AlignedData = [through.map(([t]) => t / 1000), through.map(([, n]) => n)];
  const existing = charts.get(id);
  if (existing) return existing.setData(data);
  const target = byId(id);
  const plot = new uPlot(
    {
      width: Math.max(240, target.clientWidth),
      height: 120,
      legend: { show: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      series: [{}, { stroke: '#2f6fde', fill: 'rgba(47,111,222,0.12)', paths: uPlot.paths.stepped!({ align: 1 }) }],
      axes: [{}, { size: 36 }],
    },
    data,
    target,
  ); // prettier-ignore
  charts.set(id, plot);
}

function render(state: DashboardState) {
  byId('cluster').textContent = state.cluster;
  byId('nodes').innerHTML = state.nodes.map(nodeCard).join('') || '<p>no node</p>';
  byId('containers').innerHTML =
    '<tr><th>container</th><th>origin</th><th>client</th><th>image</th><th>domain</th><th>state</th><th>replicas</th><th>where</th><th>usage</th></tr>' +
    (state.containers.map(containerRow).join('') || '<tr><td colspan="8">no container</td></tr>'); // prettier-ignore
  byId('pools').innerHTML =
    '<tr><th>pool</th><th>nodes</th><th>min–max</th><th>flavour</th><th>backoff</th></tr>' +
    state.pools.map((p) => `<tr data-pool="${escape(p.name)}"><td>${escape(p.name)}</td><td>${p.nodes}</td><td>${p.min}–${p.max}</td>
      <td>${escape(p.driver)} ${escape(p.flavour)}</td>
      <td>${p.backoffUntil ? `until ${time(p.backoffUntil)} (${p.failures} failure${p.failures === 1 ? '' : 's'})` : '-'}</td></tr>`).join(''); // prettier-ignore
  byId('timeline').innerHTML = [...state.events]
    .reverse()
    .slice(0, 100)
    .map((e) => `<li class="${escape(e.action)}"><time>${time(e.at)}</time> <b>${escape(e.action)}</b> ${escape(e.subject)}: ${escape(e.message)}</li>`)
    .join(''); // prettier-ignore
  chart('chart-nodes', state.series.nodes, state.at);
  chart('chart-pending', state.series.pending, state.at);
  // For the benchmark: which state the page shows, and since when (the page's clock and the wall's).
  (window as unknown as { micadoRendered?: object }).micadoRendered = {
    at: state.at,
    wall: Date.now(),
    sinceOpen: performance.now(),
  };
}

function connect() {
  const link = byId('link');
  const stream = new EventSource('/dashboard/stream');
  stream.addEventListener('state', (event) => {
    link.textContent = 'live';
    link.className = 'link live';
    render(JSON.parse((event as MessageEvent<string>).data) as DashboardState);
  });
  stream.addEventListener('error', () => {
    link.textContent = 'reconnecting…';
    link.className = 'link connecting';
  });
}

connect();
