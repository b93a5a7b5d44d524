// Gateway updates: the API's PUT is a full replace, so every page that edits some settings sends
// the stored gateway with its changes applied (read-only fields left out).

import { get, send } from "./api.js";

const READ_ONLY = ["id", "created_at", "modified_at", "is_default"];

export const loadGateway = (id) => get(`/gateways/${encodeURIComponent(id)}`);

/** PUT `changes` over the stored gateway `doc`; returns the updated gateway. */
export function putGateway(doc, changes) {
  const body = { ...doc, ...changes };
  READ_ONLY.forEach((k) => delete body[k]);
  return send("PUT", `/gateways/${encodeURIComponent(doc.id)}`, body);
}
