// Files and JVM flags for a single-node Cassandra 5.0 started straight from the Maven jars
// (there is no distribution tarball here, so no bin/cassandra and no conf/ folder).
import { join } from 'node:path';

export interface CassandraLayout {
  readonly runDir: string;
  readonly nativePort: number;
  readonly storagePort: number;
}

// A one-node, throwaway cluster: one token, no auth, no snapshots on drop/truncate (they
// only cost time and disk in tests), and everything below the run folder.
export const cassandraYaml = (l: CassandraLayout): string => {
  const data = join(l.runDir, 'data');
  return `cluster_name: msgxc-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
storage_compatibility_mode: NONE
commitlog_sync: periodic
commitlog_sync_period: 10000ms
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${l.storagePort}
native_transport_port: ${l.nativePort}
start_native_transport: true
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
auto_snapshot: false
concurrent_compactors: 1
data_file_directories:
  - ${join(data, 'data')}
commitlog_directory: ${join(data, 'commitlog')}
saved_caches_directory: ${join(data, 'saved_caches')}
hints_directory: ${join(data, 'hints')}
cdc_raw_directory: ${join(data, 'cdc_raw')}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${l.storagePort}"
`;
};

// Console only, INFO: the console goes to the run's log file. Without a logback.xml of
// our own, Cassandra logs DEBUG to the console.
export const logbackXml = `<configuration scan="false">
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0}:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="CONSOLE"/></root>
</configuration>
`;

// Cassandra 5.0's conf/jvm17-server.options: module access that Cassandra (jamm, Chronicle,
// Netty, JMX) needs on JDK 17, plus its G1 and Netty settings.
const jvm17ServerOptions: readonly string[] = [
  '-XX:+UseG1GC',
  '-XX:+ParallelRefProcEnabled',
  '-XX:MaxTenuringThreshold=1',
  '-XX:G1HeapRegionSize=16m',
  '-XX:G1RSetUpdatingPauseTimePercent=5',
  '-XX:MaxGCPauseMillis=300',
  '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ].map((p) => `--add-exports=${p}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac',
    'java.base/java.lang',
    'java.base/java.util',
  ].map((p) => `--add-opens=${p}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];

export interface JvmArgsSpec {
  readonly libDir: string;
  readonly jammJar: string;
  readonly runDir: string;
  readonly yamlFile: string;
  readonly logbackFile: string;
  readonly heap: { readonly min: string; readonly max: string };
}

export const cassandraJvmArgs = (s: JvmArgsSpec): string[] => [
  `-Xms${s.heap.min}`,
  `-Xmx${s.heap.max}`,
  `-javaagent:${s.jammJar}`,
  ...jvm17ServerOptions,
  // A JVM that ran out of memory may keep serving with broken state; a failed test run is better.
  '-XX:+ExitOnOutOfMemoryError',
  '-XX:+PerfDisableSharedMem',
  '-Djava.net.preferIPv4Stack=true',
  '-Dcassandra-foreground=yes',
  `-Dcassandra.config=file://${s.yamlFile}`,
  `-Dcassandra.storagedir=${join(s.runDir, 'data')}`,
  `-Dcassandra.logdir=${join(s.runDir, 'logs')}`,
  `-Dlogback.configurationFile=${s.logbackFile}`,
  // A single fresh node has nobody to gossip with; do not wait for gossip to settle.
  '-Dcassandra.skip_wait_for_gossip_to_settle=0',
  // Skips fsync of system tables: test data is thrown away anyway.
  '-Dcassandra.unsafesystem=true',
  '-cp',
  join(s.libDir, '*'),
  'org.apache.cassandra.service.CassandraDaemon',
];
