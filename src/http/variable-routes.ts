import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ProjectVariableStore } from '../store/project-variable-store.js';
import { checkProjectName, checkVariable, MAX_VALUE_BYTES } from '../variables/variable-rules.js';
import { checkAdminToken } from './admin-token.js';
import { readBody } from './read-body.js';
import { sendError, sendJson } from './respond.js';
import type { Params, Route } from './router.js';

const VariableBody = z.strictObject(
  {
    value: z.string({ error: 'value must be a string' }),
    masked: z.boolean({ error: 'masked must be true or false' }).default(false),
    protected: z.boolean({ error: 'protected must be true or false' }).default(false),
    file: z.boolean({ error: 'file must be true or false' }).default(false),
    environment: z.string({ error: 'environment must be a string' }).default(''),
  },
  { error: 'the body must be a JSON object with value, and optionally masked, protected, file and environment' },
);

/** The body as JSON, refused with one line naming what is wrong; never echoes the value. */
async function variableBody(request: IncomingMessage): Promise<z.output<typeof VariableBody> | string> {
  const text = (await readBody(request, MAX_VALUE_BYTES * 2)).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'the body is not JSON: send {"value": "…", "masked": true}';
  }
  const parsed = VariableBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}: use value, masked, protected, file and environment` : issue.message;
  }
  return parsed.data;
}

/**
 * `/api/projects/:project/variables`: the JSON API for CI/CD variables (the project URL-encoded,
 * `group%2Fapp`, as in GitLab's API). Values go in and never come out.
 */
export function variableRoutes(store: ProjectVariableStore, adminToken: string | undefined): Route[] {
  /** Every route here: the admin token first, then the project from the path, checked once. */
  const route = (method: Route['method'], path: string, handle: (request: IncomingMessage, response: ServerResponse, project: string, params: Params) => Promise<void>): Route => ({
    method,
    path,
    async handle(request, response, params) {
      if (!checkAdminToken(adminToken, request, response)) return;
      const check = checkProjectName(params.project ?? '');
      if (!check.ok) return sendError(response, 400, check.reason);
      await handle(request, response, params.project!, params);
    },
  });
  return [
    route('GET', '/api/projects/:project/variables', async (_request, response, project) => {
      sendJson(response, 200, { variables: await store.list(project) });
    }),
    route('PUT', '/api/projects/:project/variables/:name', async (request, response, project, params) => {
      const body = await variableBody(request);
      if (typeof body === 'string') return sendError(response, 400, body);
      const variable = { ...body, name: params.name! };
      const check = checkVariable(variable);
      if (!check.ok) return sendError(response, 400, check.reason);
      await store.set(project, variable);
      const { value: _value, ...settings } = variable;
      sendJson(response, 200, { project, ...settings });
    }),
    route('DELETE', '/api/projects/:project/variables/:name', async (request, response, project, params) => {
      const environment = new URL(request.url ?? '/', 'http://slipway').searchParams.get('environment') ?? '';
      if (!(await store.unset(project, params.name!, environment))) {
        return sendError(response, 404, `${project} has no variable ${params.name}${environment ? ` for environment ${environment}` : ''}`);
      }
      response.writeHead(204).end();
    }),
  ];
}
