import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates made by the openssl CLI for each test run (no key is ever committed): a CA, and
 * leaf certificates it (or another CA) signs with chosen names and validity, including expired
 * ones, which is why signing goes through `openssl ca` (it takes explicit dates).
 */
export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestCa {
  name: string;
  certFile: string;
  cert: Buffer;
  /** Signs a new key pair. `san` entries are `DNS:x`, `IP:x` or `URI:x`. */
  issue(options: {
    commonName: string;
    san?: string[];
    organization?: string;
    /** openssl dates, e.g. `20200101000000Z`; default: yesterday until in 30 days. */
    notBefore?: string;
    notAfter?: string;
    fileName?: string;
  }): IssuedCertificate;
}

export interface TestPki {
  dir: string;
  createCa(name: string): TestCa;
  remove(): void;
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function opensslDate(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-pki-'));
  let counter = 1;
  return {
    dir,
    createCa(name) {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      const caKey = join(dir, `${slug}.key`);
      const caCert = join(dir, `${slug}.pem`);
      const database = join(dir, `${slug}.index`);
      writeFileSync(database, '');
      writeFileSync(`${database}.serial`, '01\n');
      const config = join(dir, `${slug}.cnf`);
      writeFileSync(
        config,
        [
          '[ca]',
          'default_ca = test',
          '[test]',
          `database = ${database}`,
          `serial = ${database}.serial`,
          `new_certs_dir = ${dir}`,
          'default_md = sha256',
          'policy = anything',
          'unique_subject = no',
          'copy_extensions = none',
          '[anything]',
          'organizationName = optional',
          'commonName = supplied',
          '',
        ].join('\n'),
      );
      openssl(dir, [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        caKey,
        '-out',
        caCert,
        '-days',
        '30',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      return {
        name,
        certFile: caCert,
        cert: readFileSync(caCert),
        issue(options) {
          const base = join(dir, options.fileName ?? `${slug}-${counter++}`);
          const keyFile = `${base}.key`;
          const certFile = `${base}.pem`;
          const csr = `${base}.csr`;
          const subject = `${options.organization === undefined ? '' : `/O=${options.organization}`}/CN=${options.commonName}`;
          openssl(dir, [
            'req',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            keyFile,
            '-out',
            csr,
            '-subj',
            subject,
          ]);
          const extFile = `${base}.ext`;
          writeFileSync(
            extFile,
            [
              'basicConstraints=CA:FALSE',
              'extendedKeyUsage=serverAuth,clientAuth',
              ...(options.san === undefined || options.san.length === 0
                ? []
                : [`subjectAltName=${options.san.join(',')}`]),
              '',
            ].join('\n'),
          );
          const day = 86_400_000;
          openssl(dir, [
            'ca',
            '-config',
            config,
            '-batch',
            '-notext',
            '-in',
            csr,
            '-out',
            certFile,
            '-cert',
            caCert,
            '-keyfile',
            caKey,
            '-startdate',
            options.notBefore ?? opensslDate(Date.now() - day),
            '-enddate',
            options.notAfter ?? opensslDate(Date.now() + 30 * day),
            '-extfile',
            extFile,
          ]);
          return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
        },
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
