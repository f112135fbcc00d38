/** micado's configuration: its shape and its defaults. */

/** What a client may use in all; an absent limit is no limit. */
export interface ClientLimits {
  containers?: number;
  /** Replicas over all its containers. */
  replicas?: number;
  /** CPU and memory its replicas reserve in all. */
  cpuMilli?: number;
  memoryMb?: number;
  /** The pools its containers may run in (and so cause nodes in). */
  pools?: string[];
  /** A launch's time limit when it gives none, and the longest one it may have. */
  ttlMs?: number;
  maxTtlMs?: number;
}

export interface Flavour {
  /** CPUs the node advertises (as micado.cpu_milli = cpus * 1000). */
  cpus: number;
  /** Memory the node advertises (as micado.mem_mb). */
  memoryMb: number;
  /**
   * What a node of it costs per hour, in the cloud's currency: a pool of several
   * flavours starts the cheapest set that holds what waits. Unset: 0 (the local driver's
   * flavours cost nothing unless priced).
   */
  pricePerHour?: number;
}

/** The pool of proxy nodes (`micado start -n proxy`): they boot the proxy package. */
export const PROXY_POOL = 'proxy';

/** What consolidation may do (autoscaler.consolidation): nothing, delete, or replace too. */
export const CONSOLIDATION_MODES = ['off', 'delete', 'replace'] as const;
export type ConsolidationMode = (typeof CONSOLIDATION_MODES)[number];

/** A group of like nodes the manager starts and stops. */
export interface NodePool {
  /** local or cloudbroker. */
  driver: string;
  /** For cloudbroker: the cloud of cloudsetup.xml and the application to run. */
  cloud?: string;
  application?: string;
  flavour: string;
  /**
   * The flavours its new nodes may be, cheapest set first (scale-up weighs their
   * prices); `flavour` is the one `micado start` and the pool's min use. Unset: flavour alone.
   */
  flavours?: string[];
  /** Labels its nodes carry (placement constraints can name them). */
  labels?: Record<string, string>;
  min: number;
  max: number;
  /**
   * Nodes kept Ready and unused (paused: Swarm places nothing on them) for tasks that
   * would otherwise wait for a node to boot. They count in max. 0 (none) unless set.
   */
  warm?: number;
}

export interface MicadoConfig {
  /** Where micado keeps its daemons' data, sockets, logs and records. */
  stateDir: string;
  cluster: {
    /** Prefix of every namespace and cgroup this cluster makes; unique per host. */
    name: string;
  };
  network: {
    /** The Linux bridge every local node's veth is attached to. */
    bridge: string;
    /** micado's own range: .1 is the host's end of the bridge, .2 the manager. */
    subnet: string;
  };
  registry: {
    /** Where nodes pull (read-only); the manager pushes and deletes on port + 1. */
    port: number;
  };
  flavours: Record<string, Flavour>;
  containers: {
    /** Reserved per replica when launch gives no --cpu. */
    cpuMilli: number;
    /** Reserved per replica when launch gives no --memory. */
    memoryMb: number;
    /** How long launch --wait waits for every replica to run. */
    launchTimeoutMs: number;
    /** Largest build context accepted from a tarball. */
    maxContextMb: number;
    /** Processes one container may hold at once (a fork bomb stops there). */
    pidsLimit: number;
    /** Its log is rotated past this size, and this many files of it are kept. */
    logMaxSizeMb: number;
    logMaxFiles: number;
  };
  /**
   * `micado build` runs in a sandbox of its own (cluster/build-sandbox.ts): an engine
   * whose layers live on a file system of `diskMb`, its steps with no network, held to
   * these limits, stopped after `timeoutMs`.
   */
  build: {
    memoryMb: number;
    cpus: number;
    pidsLimit: number;
    diskMb: number;
    timeoutMs: number;
  };
  cloudbroker: {
    /**
     * The platform's base URL; no default, so nothing is ever sent anywhere unasked.
     * https://, or http:// on loopback only (the account's password goes with every request).
     */
    url: string;
    /** A PEM file of a CA to trust for the platform beside the system's (a private one). */
    caFile: string;
    setupFile: string;
    credentialsFile: string;
    /** How long one request may take before it counts as failed (reads are retried). */
    requestTimeoutMs: number;
    /** How long a job may take to give its instance an address. */
    provisionTimeoutMs: number;
    /** CloudBroker has no push: how often job and instance states are read. */
    pollIntervalMs: number;
    /** How long stopping one machine may meet faults before it is reported left running. */
    stopTimeoutMs: number;
  };
  store: {
    /** A mongodb:// URL naming its database selects MongoDB; empty, the SQLite file. */
    mongoUrl: string;
    /** How long opening the MongoDB store may take to reach a server. */
    connectTimeoutMs: number;
    /** How long metric samples are kept. */
    historyHours: number;
    /** How long events are kept. */
    eventDays: number;
    /** How long hourly usage (what reports read) is kept. */
    usageDays: number;
  };
  monitor: {
    /** When the monitor refreshes the store: a cron expression (node-cron, seconds optional). */
    schedule: string;
    /** Nodes asked at once. */
    concurrency: number;
    /** How long one node may take to answer before it is marked stale. */
    nodeTimeoutMs: number;
  };
  /** Pools in order of preference: scale-up picks the first that can hold a task. */
  pools: Record<string, NodePool>;
  autoscaler: {
    /** Decide, log and record, but change nothing. */
    dryRun: boolean;
    /** The periodic tick (Docker events wake the loop between ticks). */
    scanIntervalMs: number;
    /** A node not Ready this long after its request is stopped and its pool backed off. */
    provisionTimeoutMs: number;
    /**
     * A joined worker that goes down (a reboot, an engine restarted) is counted as coming
     * back this long: its tasks wait for it rather than for a new node.
     */
    unreadyGraceMs: number;
    /** Pool backoff after a failed start: doubles from initial up to max. */
    backoffInitialMs: number;
    backoffMaxMs: number;
    /** A node reserving less than this share of its CPU and memory is unneeded… */
    scaleDownUtilization: number;
    /** …and given back once it has been unneeded this long. */
    scaleDownUnneededMs: number;
    /** No scale-down this long after any scale-up. */
    scaleDownDelayAfterUpMs: number;
    /** Between two scale-ups, and between two scale-downs, of one pool. */
    scaleUpCooldownMs: number;
    scaleDownCooldownMs: number;
    /** How long a draining node's tasks get to move before it is stopped anyway. */
    drainTimeoutMs: number;
    /** Between two replica changes of one container. */
    replicaCooldownMs: number;
    /** Cluster-wide limits over every pool's nodes. */
    maxNodes: number;
    maxCpuMilli: number;
    maxMemoryMb: number;
    /** Images a new or warm node pulls before its first task needs them (0: none). */
    seedImages: number;
    /**
     * Remove at once every worker that is no machine of the cluster (joined with a
     * leaked token); false only reports it (a bench that joins bare nodes by hand).
     */
    removeRogueNodes: boolean;
    /**
     * Rotate the swarm's worker join token once no node start is on its way, so a
     * leaked token joins nothing; false keeps it (a bench that joins bare nodes by hand).
     */
    rotateJoinToken: boolean;
    /**
     * Consolidation (consolidation.ts): off; delete (give back nodes whose tasks fit on
     * the others); or replace (also replace a set of nodes by one cheaper new node).
     */
    consolidation: ConsolidationMode;
    /** The saved share of the price over the moved share of the tasks a move must reach. */
    consolidationMinScore: number;
    /** Nodes of a pool disrupted at once: at most this many, and this percent (rounded up). */
    consolidationBudgetNodes: number;
    consolidationBudgetPercent: number;
    /** A cron expression: no consolidation in the minutes it matches ('' for none). */
    consolidationQuietHours: string;
    /** No consolidation this long after the cluster last changed (a node started or given back). */
    consolidateAfterMs: number;
    /** A task consolidation moved is not moved again for this long. */
    minTaskStayHours: number;
  };
  clients: {
    /**
     * The limits of a client with no record, and where `micado client add` starts; {}
     * is unlimited. By default one launch cannot ask for a fleet: 20 containers, 50
     * replicas, 16 CPUs and 16 GB reserved.
     */
    defaults: ClientLimits;
    /** When the manager scrubs (cron): stopped containers, and removed clients' images. */
    scrubSchedule: string;
    /** Stopped containers are kept this many days before the scrub removes them. */
    keepStoppedDays: number;
  };
  discovery: {
    /**
     * host:port where nodes (proxies) read the catalog's Consul API. Empty: port 8500 on
     * the host's end of micado's bridge, or on the advertised address.
     */
    listen: string;
    /** The catalog's slow resync, for changes no event announces (a container dying). */
    resyncMs: number;
    /** A Consul agent to register the catalog's services in too (http://HOST:PORT); empty: none. */
    consulUrl: string;
    /** Its ACL token, from a file readable by its owner only (or MICADO_CONSUL_TOKEN). */
    consulTokenFile: string;
  };
  manager: {
    /** host:port of /healthz, /metrics and the dashboard; loopback unless said otherwise. */
    listen: string;
    /**
     * The operator's token (mode 600, made on first need): the dashboard and every
     * listener off loopback. Empty: STATE_DIR/dashboard.token.
     */
    dashboardTokenFile: string;
    /**
     * The read token (mode 600, made on first need): the catalog, Prometheus' targets
     * and /metrics off loopback; proxies get it at boot. Empty: STATE_DIR/read.token.
     */
    readTokenFile: string;
    /**
     * The engine the swarm's manager runs on. Empty: micado makes one, in a namespace on
     * its bridge (the local cluster). unix:///PATH: that engine, a VM's own, with the
     * registry and the manager daemon on the same host.
     */
    engine: string;
    /** With an engine given: the address nodes reach the swarm and the registry at. */
    advertise: string;
    /**
     * A file up writes the manager daemon's pid to, whenever it starts it or finds it
     * running: the PIDFile of the manager package's micado-manager.service. Empty: none.
     */
    pidFile: string;
  };
  local: {
    /** How long a local node may take from start to Ready in the swarm. */
    readyTimeoutMs: number;
    /** How long a stopping dockerd gets before SIGKILL. */
    stopGraceMs: number;
  };
}

export const DEFAULT_CONFIG: MicadoConfig = {
  stateDir: '/var/lib/micado',
  cluster: { name: 'micado' },
  network: { bridge: 'micado0', subnet: '10.232.0.0/16' },
  registry: { port: 5000 },
  flavours: {
    small: { cpus: 1, memoryMb: 512 },
    medium: { cpus: 2, memoryMb: 2048 },
    large: { cpus: 4, memoryMb: 8192 },
  },
  containers: {
    cpuMilli: 100,
    memoryMb: 64,
    launchTimeoutMs: 600_000,
    maxContextMb: 512,
    pidsLimit: 512,
    logMaxSizeMb: 10,
    logMaxFiles: 3,
  },
  build: { memoryMb: 2048, cpus: 1, pidsLimit: 512, diskMb: 8192, timeoutMs: 900_000 },
  cloudbroker: {
    url: '',
    caFile: '',
    setupFile: '/etc/micado/cloudsetup.xml',
    credentialsFile: '/etc/micado/cbcredentials',
    requestTimeoutMs: 10_000,
    provisionTimeoutMs: 900_000,
    pollIntervalMs: 2_000,
    stopTimeoutMs: 120_000,
  },
  store: {
    mongoUrl: '',
    connectTimeoutMs: 5_000,
    historyHours: 168,
    eventDays: 30,
    usageDays: 400,
  },
  monitor: { schedule: '* * * * *', concurrency: 8, nodeTimeoutMs: 10_000 },
  pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 10 } },
  autoscaler: {
    dryRun: false,
    scanIntervalMs: 10_000,
    provisionTimeoutMs: 900_000,
    unreadyGraceMs: 300_000,
    backoffInitialMs: 30_000,
    backoffMaxMs: 1_800_000,
    scaleDownUtilization: 0.5,
    scaleDownUnneededMs: 600_000,
    scaleDownDelayAfterUpMs: 600_000,
    scaleUpCooldownMs: 0,
    scaleDownCooldownMs: 60_000,
    drainTimeoutMs: 120_000,
    replicaCooldownMs: 180_000,
    maxNodes: 100,
    maxCpuMilli: 1_000_000,
    maxMemoryMb: 4_194_304,
    seedImages: 3,
    removeRogueNodes: true,
    rotateJoinToken: true,
    consolidation: 'off',
    consolidationMinScore: 1,
    consolidationBudgetNodes: 3,
    consolidationBudgetPercent: 20,
    consolidationQuietHours: '',
    consolidateAfterMs: 600_000,
    minTaskStayHours: 24,
  },
  clients: {
    defaults: { containers: 20, replicas: 50, cpuMilli: 16_000, memoryMb: 16_384 },
    scrubSchedule: '30 3 * * *',
    keepStoppedDays: 7,
  },
  discovery: { listen: '', resyncMs: 5_000, consulUrl: '', consulTokenFile: '' },
  manager: {
    listen: '127.0.0.1:9465',
    dashboardTokenFile: '',
    readTokenFile: '',
    engine: '',
    advertise: '',
    pidFile: '',
  },
  local: { readyTimeoutMs: 30_000, stopGraceMs: 10_000 },
};

/** Environment variables read over the file, and the setting each one sets. */
export const ENV_SETTINGS = {
  MICADO_STATE_DIR: 'stateDir',
  MICADO_CLUSTER_NAME: 'cluster.name',
  MICADO_BRIDGE: 'network.bridge',
  MICADO_SUBNET: 'network.subnet',
  MICADO_REGISTRY_PORT: 'registry.port',
  MICADO_CB_URL: 'cloudbroker.url',
  MICADO_CB_CA_FILE: 'cloudbroker.caFile',
  MICADO_CB_SETUP: 'cloudbroker.setupFile',
  MICADO_CB_CREDENTIALS: 'cloudbroker.credentialsFile',
  MICADO_MONGO_URL: 'store.mongoUrl',
  MICADO_MONITOR_SCHEDULE: 'monitor.schedule',
  MICADO_MANAGER_LISTEN: 'manager.listen',
  MICADO_CONSUL_URL: 'discovery.consulUrl',
  MICADO_MANAGER_ENGINE: 'manager.engine',
  MICADO_ADVERTISE: 'manager.advertise',
  MICADO_MANAGER_PID_FILE: 'manager.pidFile',
  MICADO_DRY_RUN: 'autoscaler.dryRun',
  MICADO_CONSOLIDATION: 'autoscaler.consolidation',
} as const;
