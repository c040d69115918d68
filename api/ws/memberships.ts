// Which threads a user currently subscribes to: the topics their sockets join on connect.
// The configured read store answers it (ReadModels.subscribedThreads), SQLite or Cassandra.
export interface Memberships {
  threadsOf(uid: string): Promise<readonly string[]>;
}
