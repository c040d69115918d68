import type { ReadModels } from '../ports/read-models.js';

// Read models that always answer from the live generation: a rebuild swaps the generation
// behind them (follower/), and a query object prepared before the swap keeps working.
export const liveReadModels = (current: () => ReadModels): ReadModels => ({
  devicesByUser: (uid) => current().devicesByUser(uid),
  thread: (tid) => current().thread(tid),
  threadMembers: (tid, page) => current().threadMembers(tid, page),
  memberRoles: (tid, uid) => current().memberRoles(tid, uid),
  threadMessages: (tid, page, now) => current().threadMessages(tid, page, now),
  inbox: (uid, page, now) => current().inbox(uid, page, now),
  message: (mid) => current().message(mid),
  isRecipient: (mid, uid) => current().isRecipient(mid, uid),
  subscribedThreads: (uid) => current().subscribedThreads(uid),
  userCount: () => current().userCount(),
  userImport: (id) => current().userImport(id),
  segments: (page) => current().segments(page),
  messagesTo: (target, page, now) => current().messagesTo(target, page, now),
  threadsOf: (uid, page) => current().threadsOf(uid, page),
});
