// `msgxc --help`: the subcommands and the settings that choose what a process runs. The full
// list of settings is in README.md ("Configuration") and docs/production.md.
export const HELP = `usage: msgxc [command] [args]

commands:
  start (default)              run one node of the broker, in the role MSGXC_ROLE names
  reactors                     run a reactors node (the same as MSGXC_ROLE=reactors msgxc start)
  token <sub> [role,...]       print a token signed with the configured (or development) secret
  rebuild [--allow-skips]      build the read models anew from the log (broker stopped)
  vapid-keys                   print a new web push key pair for MSGXC_VAPID_*_KEY
  audit export|verify|checkpoint   the auditors' tools on the log
  import FILE [--url U] [--token T]  post an NDJSON file of users to a running broker

node roles (MSGXC_ROLE, docs/production.md "Node roles"):
  all (default)   HTTP API, websockets and the delivery reactors in one process
  api             HTTP API and websockets, no delivery reactors
  reactors        the delivery reactors (triage, dispatch, scheduler), no HTTP API or
                  websockets; MSGXC_PORT serves /healthz, /readyz and /metrics only
  api and reactors need a shared log (MSGXC_EVENTSTORE=nats://... or esdb://...) and
  MSGXC_BUS=nats; reactor processes share the sends by leased claims
  (MSGXC_DISPATCH_LEASE_MS, default 120000: how soon another one retakes a crashed one's sends).
  On the JetStream log a reactors node stores a snapshot of its state in the cluster's object
  store (MSGXC_REACTORS_SNAPSHOT_MS, default 600000; 0: never), and a new one starts from it.

Every setting is an MSGXC_* environment variable; a bad value stops the process naming it.
`;
