import type { Route } from '../http/router.js';
import { environmentRoutes } from './environments-page.js';
import { liveEventsRoute } from './live-events.js';
import { liveScriptRoute } from './live-script.js';
import { loginRoutes } from './login-routes.js';
import { pipelineActionRoutes } from './pipeline-actions.js';
import { pipelineRoutes } from './pipeline-page.js';
import { jobPageRoutes } from './job-page.js';
import { projectRoutes } from './project-pages.js';
import { tokenRoutes } from './token-routes.js';
import type { WebContext } from './web-context.js';

/** Every page of the web UI and its JSON API; none but the live script answers without a login. */
export function webRoutes(context: WebContext): Route[] {
  return [
    ...loginRoutes(context),
    ...projectRoutes(context),
    ...pipelineRoutes(context),
    ...jobPageRoutes(context),
    liveEventsRoute(context),
    liveScriptRoute(),
    ...pipelineActionRoutes(context),
    ...environmentRoutes(context),
    ...tokenRoutes(context),
  ];
}
