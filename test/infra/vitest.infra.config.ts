// Kept for scripts that name it: the root config now carries the real-server global setup
// (test/infra/global-setup.ts), driven by MSGXC_TEST_SERVERS.
//   MSGXC_TEST_SERVERS=nats,natscluster,cassandra,elastic npx vitest run --project integration
export { default } from '../../vitest.config.js';
