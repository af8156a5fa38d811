// The interactive API reference at /docs: a page and a small script, both served from here (the
// machines running this often have no internet), that render /openapi.json and can send requests.

/** Who may load what: this server only, so a page that reached for a CDN would visibly break. */
export const docsContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'";

export function docsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.replace(/[<&]/g, '')} — API reference</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 960px; padding: 1rem 1.5rem 4rem; color: #1e293b; }
h1 { margin-bottom: 0; } h2 { margin-top: 2rem; border-bottom: 1px solid #cbd5e1; text-transform: capitalize; }
details.op { border: 1px solid #cbd5e1; border-radius: 6px; margin: .5rem 0; padding: .25rem .75rem; }
details.op > summary { cursor: pointer; font-family: ui-monospace, monospace; }
.method { display: inline-block; min-width: 4.5em; font-weight: 700; }
.get { color: #0369a1; } .post { color: #15803d; } .delete { color: #b91c1c; } .put, .patch { color: #a16207; }
.muted { color: #64748b; font-family: system-ui, sans-serif; margin-left: .5rem; }
pre { background: #f1f5f9; padding: .5rem; overflow: auto; max-height: 24rem; font-size: 13px; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .15rem .75rem .15rem 0; vertical-align: top; }
textarea { width: 100%; min-height: 8rem; font-family: ui-monospace, monospace; }
input { font-family: ui-monospace, monospace; }
button { margin: .5rem 0; }
</style>
</head>
<body>
<main id="reference"><p>Loading <a href="openapi.json">openapi.json</a>…</p></main>
<script src="docs/reference.js"></script>
</body>
</html>
`;
}

/** Plain browser JavaScript (no build step), kept in this string so the page needs no other file. */
export const docsScript = String.raw`'use strict';
(async () => {
  const root = document.getElementById('reference');
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    for (const child of children.flat()) if (child != null) node.append(child);
    return node;
  };
  const json = (value) => el('pre', {}, JSON.stringify(value, null, 2));
  const response = await fetch('openapi.json');
  const spec = await response.json();
  const schemas = (spec.components && spec.components.schemas) || {};
  const resolve = (schema) => (schema && schema.$ref ? schemas[schema.$ref.split('/').pop()] || schema : schema);
  const example = (schema, depth = 0) => {
    schema = resolve(schema) || {};
    if (depth > 4) return null;
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    if (type === 'object') {
      const out = {};
      for (const name of schema.required || []) out[name] = example(schema.properties[name], depth + 1);
      return out;
    }
    if (type === 'array') return [];
    if (type === 'integer' || type === 'number') return schema.minimum || 1;
    if (type === 'boolean') return false;
    return type === 'string' ? 'A red fox in the snow' : null;
  };
  const schemaLink = (schema) => {
    const name = schema && schema.$ref ? schema.$ref.split('/').pop() : undefined;
    return name ? el('a', { href: '#schema-' + name }, name) : json(schema);
  };

  function tryIt(path, method, op) {
    const params = op.parameters || [];
    const inputs = params.map((param) => [param, el('input', { size: 40, placeholder: param.required ? 'required' : '' })]);
    const body = op.requestBody && op.requestBody.content['application/json'];
    const textarea = body ? el('textarea', {}, JSON.stringify(example(body.schema), null, 2)) : null;
    const output = el('pre', {}, '');
    const send = el('button', { type: 'button' }, 'Send');
    send.addEventListener('click', async () => {
      let url = path;
      const query = new URLSearchParams();
      const headers = {};
      for (const [param, input] of inputs) {
        if (input.value === '') continue;
        if (param.in === 'path') url = url.replace('{' + param.name + '}', encodeURIComponent(input.value));
        else if (param.in === 'query') query.set(param.name, input.value);
        else if (param.in === 'header') headers[param.name] = input.value;
      }
      if (textarea) headers['content-type'] = 'application/json';
      output.textContent = 'Sending…';
      try {
        const answer = await fetch(url + (query.size ? '?' + query : ''), { method: method.toUpperCase(), headers, body: textarea ? textarea.value : undefined });
        const type = answer.headers.get('content-type') || '';
        const text = /json|text/.test(type) ? await answer.text() : '(' + (await answer.blob()).size + ' bytes of ' + type + ')';
        output.textContent = answer.status + ' ' + type + '\n\n' + (type.includes('json') ? JSON.stringify(JSON.parse(text), null, 2) : text).slice(0, 20000);
      } catch (error) {
        output.textContent = String(error);
      }
    });
    return el('div', {}, el('h4', {}, 'Try it'),
      inputs.length ? el('table', {}, inputs.map(([param, input]) => el('tr', {}, el('td', {}, param.name + ' (' + param.in + ')'), el('td', {}, input)))) : null,
      textarea, send, output);
  }

  function operation(path, method, op) {
    const params = (op.parameters || []).map((param) => el('tr', {}, el('td', {}, el('code', {}, param.name)), el('td', {}, param.in + (param.required ? ', required' : '')), el('td', {}, param.description || '')));
    const body = op.requestBody ? Object.entries(op.requestBody.content).map(([type, media]) => el('div', {}, el('code', {}, type), ' ', schemaLink(media.schema))) : [];
    const responses = Object.entries(op.responses).map(([status, answer]) => {
      const resolved = answer.$ref ? spec.components.responses[answer.$ref.split('/').pop()] : answer;
      const types = Object.entries(resolved.content || {}).map(([type, media]) => el('div', {}, el('code', {}, type), ' ', schemaLink(media.schema)));
      return el('tr', {}, el('td', {}, el('b', {}, status)), el('td', {}, resolved.description, types));
    });
    return el('details', { class: 'op', id: op.operationId },
      el('summary', {}, el('span', { class: 'method ' + method }, method.toUpperCase()), path, el('span', { class: 'muted' }, op.summary)),
      op.description ? el('p', {}, op.description) : null,
      params.length ? [el('h4', {}, 'Parameters'), el('table', {}, params)] : null,
      body.length ? [el('h4', {}, 'Request body'), body] : null,
      el('h4', {}, 'Responses'), el('table', {}, responses),
      tryIt(path, method, op));
  }

  const byTag = new Map((spec.tags || []).map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  const description = (spec.tags || []).reduce((map, tag) => map.set(tag.name, tag.description), new Map());
  root.replaceChildren(
    el('h1', {}, spec.info.title + ' ', el('small', { class: 'muted' }, spec.info.version)),
    el('p', {}, spec.info.description || ''),
    el('p', {}, el('a', { href: 'openapi.json' }, 'openapi.json'), ' (OpenAPI ' + spec.openapi + ')'),
    [...byTag].map(([tag, ops]) => [el('h2', {}, tag), description.get(tag) ? el('p', {}, description.get(tag)) : null, ops]),
    el('h2', {}, 'Schemas'),
    Object.entries(schemas).map(([name, schema]) => el('details', { class: 'op', id: 'schema-' + name }, el('summary', {}, name), json(schema))),
  );
  if (location.hash) document.getElementById(location.hash.slice(1))?.setAttribute('open', '');
})().catch((error) => {
  document.getElementById('reference').textContent = 'Could not load openapi.json: ' + error;
});
`;
