// A real OpenID provider (the certified `oidc-provider`) on loopback, for SpotCheck's tests.
//
// Started by tests/oidc_server.py with its settings in environment variables:
//   OIDC_PORT        the port on 127.0.0.1; the issuer is http://127.0.0.1:<port>
//   OIDC_JWKS_FILE   a JSON Web Key Set with the private signing keys (the tests make it)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET   the one client, a "native" one: its loopback redirect
//                    URIs may use any port (RFC 8252), so any SpotCheck test server can use it
//   OIDC_RESOURCE    the API's resource indicator: access tokens for it are JWTs with that audience;
//                    without it an access token is opaque (only the provider's userinfo reads it)
//
// Sign-in is a one-field form: any username signs in as the account of that name (sub), with a
// verified e-mail address <username>@example.org, and consent is granted at once.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const resource = process.env.OIDC_RESOURCE;
const jwks = JSON.parse(readFileSync(process.env.OIDC_JWKS_FILE, 'utf8'));

const provider = new Provider(issuer, {
  jwks,
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/auth/oidc/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'email', 'offline_access', 'api'],
  cookies: { keys: ['spotcheck-test-provider-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      // No default: a client that names no resource gets an opaque access token (for userinfo).
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        return { scope: 'api', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: `${id}@example.org`, email_verified: true }),
  }),
  pkce: { required: () => true },
  ttl: { AccessToken: 600, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
});

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(uid) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><main><h1>Test provider</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Username</label> <input id="username" name="username" autocomplete="off" required>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// The grant holds what this prompt asks for: consent is given at once.
async function grantFor(details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  grant.addOIDCScope(['openid', ...(missing.missingOIDCScope ?? [])].join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction does not match its cookie');
  if (details.prompt.name === 'consent') {
    const grantId = await grantFor(details, details.session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && action === undefined) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginForm(uid));
    return;
  }
  if (req.method !== 'POST' || action !== 'login') {
    res.writeHead(404).end();
    return;
  }
  const username = (await readForm(req)).get('username');
  if (!username) {
    res.writeHead(400).end('username is required');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/([a-z]+))?/.exec(req.url);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
