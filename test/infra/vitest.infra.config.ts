// The root vitest config plus the real-server global setup on the integration project.
//   MSGXC_TEST_SERVERS=nats,natscluster,cassandra,elastic \
//     npx vitest run --config test/infra/vitest.infra.config.ts --project integration
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { TestProjectConfiguration } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const globalSetup = fileURLToPath(new URL('./global-setup.ts', import.meta.url));

const withServers = (project: TestProjectConfiguration): TestProjectConfiguration =>
  typeof project === 'object' && 'test' in project && project.test.name === 'integration'
    ? { ...project, test: { ...project.test, globalSetup } }
    : project;

export default defineConfig({
  ...rootConfig,
  root: repoRoot,
  test: { ...rootConfig.test, projects: (rootConfig.test?.projects ?? []).map(withServers) },
});
