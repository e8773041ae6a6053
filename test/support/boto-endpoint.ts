import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's botocore (1.29) ignores AWS_ENDPOINT_URL_EVENTBRIDGE; an unchanged boto3 script
 * reaches callscribe there through an endpoint rule set on AWS_DATA_PATH instead, which botocore
 * reads before its own data. Returns that directory, for `endpoint`.
 */
export function botoEndpointDataPath(endpoint: string): string {
  const root = mkdtempSync(join(tmpdir(), 'callscribe-botodata-'));
  const dir = join(root, 'events', '2015-10-07');
  mkdirSync(dir, { recursive: true });
  const parameter = (builtIn: string, type: string, extra: object = {}) => ({
    builtIn,
    required: false,
    documentation: '',
    type,
    ...extra,
  });
  const endpointOf = (url: unknown) => ({ url, properties: {}, headers: {} });
  writeFileSync(
    join(dir, 'endpoint-rule-set-1.json'),
    JSON.stringify({
      version: '1.0',
      parameters: {
        Region: parameter('AWS::Region', 'String'),
        UseDualStack: parameter('AWS::UseDualStack', 'Boolean', { required: true, default: false }),
        UseFIPS: parameter('AWS::UseFIPS', 'Boolean', { required: true, default: false }),
        Endpoint: parameter('SDK::Endpoint', 'String'),
        EndpointId: { required: false, documentation: '', type: 'String' },
      },
      rules: [
        {
          conditions: [{ fn: 'isSet', argv: [{ ref: 'Endpoint' }] }],
          endpoint: endpointOf({ ref: 'Endpoint' }),
          type: 'endpoint',
        },
        { conditions: [], endpoint: endpointOf(endpoint), type: 'endpoint' },
      ],
    }),
  );
  return root;
}
