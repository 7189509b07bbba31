/** Dataverse and Entra ids are GUIDs. */
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** A Dataverse id (a GUID, braces allowed) in its bare form; null when the value is not one. */
export function parseGuid(value: string): string | null {
  return GUID.exec(value.trim())?.[1] ?? null;
}
