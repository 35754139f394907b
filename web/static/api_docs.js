/* The API reference at /docs: renders /openapi.json with textContent only, from this server alone
 * (FastAPI's default Swagger UI loads its code from a CDN; this page needs none). */
(function () {
  "use strict";
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function refName(schema) {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    if (schema.items) return "list of " + refName(schema.items);
    return schema.type || (schema.anyOf || []).map(refName).join(" | ");
  }
  function schemaBlock(name, schemas) {
    const s = schemas[name];
    if (!s || !s.properties) return null;
    const list = el("ul");
    Object.entries(s.properties).forEach(([field, spec]) => {
      const req = (s.required || []).includes(field) ? " (required)" : "";
      list.appendChild(el("li", field + ": " + refName(spec) + req + (spec.description ? " — " + spec.description : "")));
    });
    return list;
  }
  fetch("/openapi.json").then((r) => r.json()).then((spec) => {
    const main = document.getElementById("operations");
    main.textContent = "";
    const schemas = (spec.components || {}).schemas || {};
    Object.entries(spec.paths).forEach(([path, item]) => {
      Object.entries(item).forEach(([method, op]) => {
        const section = el("section", undefined, "operation");
        section.appendChild(el("h2", method.toUpperCase() + " " + path));
        if (op.summary) section.appendChild(el("p", op.summary));
        if (op.description) section.appendChild(el("pre", op.description));
        (op.parameters || []).forEach((p) => section.appendChild(el("p", "parameter " + p.name + " (" + p.in + "): " + refName(p.schema))));
        const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
        if (body) {
          const name = refName(body.schema);
          section.appendChild(el("p", "body: " + name));
          const fields = schemaBlock(name, schemas);
          if (fields) section.appendChild(fields);
        }
        section.appendChild(el("p", "responses: " + Object.keys(op.responses || {}).join(", ")));
        main.appendChild(section);
      });
    });
  }).catch(() => { document.getElementById("operations").textContent = "Could not load /openapi.json."; });
})();
