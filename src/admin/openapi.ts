/**
 * The OpenAPI 3.1 description of the admin REST API, served at /api/openapi.json. Every path
 * the app routes is listed here (a test checks both ways).
 */

const error = { $ref: '#/components/responses/Error' };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const std = { 401: error, 403: error };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const lists = {
  type: 'object',
  description: 'Vutlan lists: sread/swrite are resource ids (accesskeys ... view, all), gread/gwrite group ids or all/none, in the device form "a,b,"',
  properties: Object.fromEntries(['sread', 'swrite', 'cread', 'cwrite', 'gread', 'gwrite', 'rfu1', 'rfu2'].map((k) => [k, { type: 'string' }])),
};
const userForm = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'only when creating' },
    enabled: { type: 'boolean' },
    password: {
      type: 'object',
      properties: { kind: { enum: ['device', 'sha1-hex', 'plain'] }, value: { type: 'string' } },
      description: 'device: the device login password (a salted hash of its SHA-1 hex is stored); sha1-hex: that hex; plain: a PAP password. Omit to keep the current one.',
    },
    lists,
    overrides: { type: 'array', items: { type: 'object', properties: { nas: { type: 'string' }, lists } } },
  },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'vutlan-radius web administration',
    version: '1',
    description: 'Session cookie from POST /api/login; every request that changes state needs the X-CSRF-Token header (the csrf of /api/login or /api/session) and a JSON body. Roles: viewer (read), editor (+ users, clients, test login, reload), admin (+ admin accounts, audit).',
  },
  components: {
    securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: '__Host-vutlan_admin' }, csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' } },
    responses: {
      Error: ok('error', {
        type: 'object',
        properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } } } },
      }),
    },
  },
  security: [{ session: [] }],
  paths: {
    '/api/openapi.json': { get: { summary: 'this description', security: [], responses: { 200: ok('OpenAPI document') } } },
    '/api/login': { post: { summary: 'sign in (a new session id every time)', security: [], requestBody: json({ type: 'object', properties: { name: { type: 'string' }, password: { type: 'string' } } }), responses: { 200: ok('signed in: name, role, csrf'), 401: error, 423: error, 429: error } } },
    '/api/logout': { post: { summary: 'sign out', responses: { 200: ok('signed out'), 403: error } } },
    '/api/session': { get: { summary: 'who is signed in, and the CSRF token', security: [], responses: { 200: ok('signed_in; when true also name, role, csrf') } } },
    '/api/meta': { get: { summary: 'list keys, resource ids, store', responses: { 200: ok('meta'), ...std } } },
    '/api/users': {
      get: { summary: 'users of the store, one page', parameters: [{ name: 'search', in: 'query', schema: { type: 'string' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 500 } }], responses: { 200: ok('total, offset, limit, users'), ...std, 503: error } },
      post: { summary: 'create a user (editor)', security: [{ session: [], csrf: [] }], requestBody: json(userForm), responses: { 201: ok('the profile'), 400: error, 409: error, ...std } },
    },
    '/api/users/{name}': {
      get: { summary: 'one profile (password attribute only)', parameters: [nameParam], responses: { 200: ok('profile'), 404: error, ...std } },
      put: { summary: 'make the profile exactly this (editor)', security: [{ session: [], csrf: [] }], parameters: [nameParam], requestBody: json(userForm), responses: { 200: ok('the profile'), 400: error, 404: error, ...std } },
      delete: { summary: 'delete every entry of the user (editor)', security: [{ session: [], csrf: [] }], parameters: [nameParam], responses: { 200: ok('deleted'), 404: error, ...std } },
    },
    '/api/users/{name}/enable': { post: { summary: 'Valid = 1 (editor)', security: [{ session: [], csrf: [] }], parameters: [nameParam], responses: { 200: ok('profile'), 404: error, ...std } } },
    '/api/users/{name}/disable': { post: { summary: 'Valid = 0 (editor)', security: [{ session: [], csrf: [] }], parameters: [nameParam], responses: { 200: ok('profile'), 404: error, ...std } } },
    '/api/users/{name}/rights': { get: { summary: 'effective rights on each known device, by the server\'s evaluator', parameters: [nameParam, { name: 'nas', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('devices'), 400: error, ...std } } },
    '/api/clients': {
      get: { summary: 'RADIUS clients with requests, accepts, rejects, drops and last seen', responses: { 200: ok('clients'), ...std } },
      post: { summary: 'add a client with a generated secret, shown in this answer only (editor)', security: [{ session: [], csrf: [] }], requestBody: json({ type: 'object', properties: { name: { type: 'string' }, address: { type: 'string' }, require_message_authenticator: { enum: ['yes', 'no', 'auto'] } } }), responses: { 201: ok('client with secret'), 400: error, ...std } },
    },
    '/api/test-login': { post: { summary: 'send a real Access-Request through the server as a NAS (editor)', security: [{ session: [], csrf: [] }], requestBody: json({ type: 'object', properties: { user: { type: 'string' }, password: { type: 'string' }, device: { type: 'boolean', description: 'send the SHA-1 hex of the password, as a Vutlan device does (default true)' }, nas: { type: 'string' } } }), responses: { 200: ok('code and reply lines'), 400: error, ...std } } },
    '/api/reload': { post: { summary: 'reload the configuration (editor)', security: [{ session: [], csrf: [] }], responses: { 200: ok('ok, errors, status'), ...std } } },
    '/api/status': { get: { summary: 'reload status (last error with file:line), counts', responses: { 200: ok('status'), ...std } } },
    '/api/files': { get: { summary: 'entries of the authorize files, read-only, with the import command', parameters: [{ name: 'search', in: 'query', schema: { type: 'string' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }, { name: 'limit', in: 'query', schema: { type: 'integer' } }], responses: { 200: ok('entries'), ...std } } },
    '/api/activity/counters': { get: { summary: 'request, accept, reject and drop counters (from /metrics)', responses: { 200: ok('counters'), ...std } } },
    '/api/activity/failures': { get: { summary: 'recent failed logins from the auth-fail log', parameters: ['user', 'reason', 'client', 'src', 'since', 'limit'].map((n) => ({ name: n, in: 'query', schema: { type: 'string' } })), responses: { 200: ok('records'), ...std } } },
    '/api/admins': {
      get: { summary: 'admin accounts (admin)', responses: { 200: ok('admins'), ...std } },
      post: { summary: 'create an admin account (admin)', security: [{ session: [], csrf: [] }], requestBody: json({ type: 'object', properties: { name: { type: 'string' }, role: { enum: ['viewer', 'editor', 'admin'] }, password: { type: 'string', minLength: 10 } } }), responses: { 201: ok('created'), 400: error, 409: error, ...std } },
    },
    '/api/admins/{name}': {
      patch: { summary: 'change role or password (admin)', security: [{ session: [], csrf: [] }], parameters: [nameParam], requestBody: json({ type: 'object', properties: { role: { enum: ['viewer', 'editor', 'admin'] }, password: { type: 'string' } } }), responses: { 200: ok('updated'), 400: error, 404: error, ...std } },
      delete: { summary: 'delete an admin account (admin)', security: [{ session: [], csrf: [] }], parameters: [nameParam], responses: { 200: ok('deleted'), 400: error, 404: error, ...std } },
    },
    '/api/audit': { get: { summary: 'the audit trail, newest first (admin)', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer' } }, { name: 'offset', in: 'query', schema: { type: 'integer' } }], responses: { 200: ok('total, records'), ...std } } },
  },
} as const;
