const PLAIN = /^[A-Za-z_][A-Za-z0-9_ .,()'-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'string') return PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (typeof item !== 'object' || item === null || isEmpty(item)) return [`${indent}- ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`];
      const [first, ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first!.trimStart()}`, ...rest];
    });
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    if (typeof item !== 'object' || item === null || isEmpty(item)) return [`${indent}${scalar(key)}: ${isEmpty(item) ? JSON.stringify(item) : scalar(item)}`];
    return [`${indent}${scalar(key)}:`, ...lines(item, `${indent}  `)];
  });
}

/** Serializes JSON data (objects, arrays, strings, numbers, booleans, null) as block-style YAML. */
export function toYaml(value: Record<string, unknown>): string {
  return `${lines(value, '').join('\n')}\n`;
}
