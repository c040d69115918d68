import type { Route } from './route.js';
import type { AppDeps } from './deps.js';
import { messageRoutes } from './routes/messages.js';
import { messageReadRoutes } from './routes/message-read.js';
import { threadRoutes } from './routes/threads.js';
import { userRoutes } from './routes/users.js';
import { gdprRoutes } from './routes/gdpr.js';
import { inboxRoutes } from './routes/inbox.js';
import { auditRoutes } from './routes/audit.js';
import { explainRoutes } from './routes/explain.js';
import { analyticsRoutes } from './routes/analytics.js';
import { opsRoutes } from './routes/ops.js';
import { outboxRoutes } from './routes/outbox.js';
import { adminRoutes } from './routes/admin.js';
import { adminUiRoutes } from './routes/admin-ui.js';
import { scheduleRoutes } from './routes/schedule.js';
import { manageRoutes } from './routes/manage.js';
import { receiptRoutes } from './routes/receipts.js';
import { pushUiRoutes } from './routes/push-ui.js';
import { onadataRoutes } from './routes/onadata.js';
import { notifyRoutes } from './routes/notify.js';
import { segmentRoutes } from './routes/segments.js';
import { importRoutes } from './routes/import.js';
import { openApiDocument } from '../schema/openapi.js';
import { realtimeRoutes, type RealtimeHttp } from './ws/routes.js';

/** Every HTTP route of the broker; the OpenAPI test walks this same list. */
export const allRoutes = (deps: AppDeps, realtime: RealtimeHttp = {}): Route[] => [
  ...opsRoutes(deps, openApiDocument),
  ...messageRoutes(deps),
  ...messageReadRoutes(deps),
  ...explainRoutes(deps),
  ...analyticsRoutes(deps),
  ...threadRoutes(deps),
  ...userRoutes(deps),
  ...gdprRoutes(deps),
  ...inboxRoutes(deps),
  ...auditRoutes(deps),
  ...outboxRoutes(deps),
  ...adminRoutes(deps),
  ...adminUiRoutes(deps),
  ...scheduleRoutes(deps),
  ...manageRoutes(deps),
  ...receiptRoutes(deps),
  ...pushUiRoutes(deps),
  ...onadataRoutes(deps),
  ...notifyRoutes(deps),
  ...segmentRoutes(deps),
  ...importRoutes(deps),
  ...realtimeRoutes(realtime),
];
