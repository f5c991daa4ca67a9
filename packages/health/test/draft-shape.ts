// The shape of application/health+json per draft-inadarei-api-health-check-06, written out field by field from the
// draft (sections 3 and 4). Returns the list of violations (empty when valid).
const STATUSES = new Set(['pass', 'fail', 'warn']);
const TOP = new Set([
  'status',
  'version',
  'releaseId',
  'notes',
  'output',
  'checks',
  'links',
  'serviceId',
  'description',
]);
const CHECK = new Set([
  'componentId',
  'componentType',
  'observedValue',
  'observedUnit',
  'status',
  'affectedEndpoints',
  'time',
  'output',
  'links',
]);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strMap = (v: unknown): boolean => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

export function draftViolations(doc: unknown, { strictKeys = true }: { strictKeys?: boolean } = {}): string[] {
  const v: string[] = [];
  if (!isObj(doc)) return ['document is not a JSON object'];
  if (!STATUSES.has(doc.status as string)) v.push(`status must be pass|fail|warn, got ${String(doc.status)}`);
  for (const k of ['version', 'releaseId', 'output', 'serviceId', 'description'])
    if (k in doc && typeof doc[k] !== 'string') v.push(`${k} must be a string`);
  if ('notes' in doc && !(Array.isArray(doc.notes) && doc.notes.every((n) => typeof n === 'string')))
    v.push('notes must be an array of strings');
  if ('links' in doc && !strMap(doc.links)) v.push('links must be an object of URI strings');
  if (strictKeys) for (const k of Object.keys(doc)) if (!TOP.has(k)) v.push(`unknown top-level key ${k}`);
  if ('checks' in doc) {
    if (!isObj(doc.checks)) v.push('checks must be an object');
    else
      for (const [key, arr] of Object.entries(doc.checks)) {
        // "{componentName}:{measurementName}", measurementName optional; neither part contains ':'
        if (!/^[^:]+(:[^:]+)?$/.test(key)) v.push(`checks key ${key} is not componentName:measurementName`);
        if (!Array.isArray(arr)) {
          v.push(`checks.${key} must be an array`);
          continue;
        }
        for (const [i, c] of arr.entries()) {
          const at = `checks.${key}[${i}]`;
          if (!isObj(c)) {
            v.push(`${at} must be an object`);
            continue;
          }
          if ('status' in c && !STATUSES.has(c.status as string)) v.push(`${at}.status must be pass|fail|warn`);
          for (const k of ['componentId', 'componentType', 'observedUnit', 'output'])
            if (k in c && typeof c[k] !== 'string') v.push(`${at}.${k} must be a string`);
          if ('time' in c && (typeof c.time !== 'string' || !ISO.test(c.time) || Number.isNaN(Date.parse(c.time))))
            v.push(`${at}.time must be an ISO 8601 date-time`);
          if ('observedValue' in c && c.observedValue === undefined) v.push(`${at}.observedValue is undefined`);
          if (
            'affectedEndpoints' in c &&
            !(Array.isArray(c.affectedEndpoints) && c.affectedEndpoints.every((x) => typeof x === 'string'))
          )
            v.push(`${at}.affectedEndpoints must be an array of URI strings`);
          if ('links' in c && !strMap(c.links)) v.push(`${at}.links must be an object of URI strings`);
          if (strictKeys) for (const k of Object.keys(c)) if (!CHECK.has(k)) v.push(`${at}: unknown key ${k}`);
        }
      }
  }
  return v;
}
