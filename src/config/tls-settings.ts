/** The certificate settings, and which files each TLS listener uses. */
export interface TlsSettings {
  httpTls: boolean;
  httpTlsCertFile?: string | undefined;
  httpTlsKeyFile?: string | undefined;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  sipTransports: readonly string[];
  sipTlsCaFile?: string | undefined;
  sipTlsAllowedPeers?: readonly string[] | undefined;
}

/** HTTPS uses its own pair when given, else the shared one. */
export function httpTlsFiles(
  settings: TlsSettings,
): { certFile: string; keyFile: string } | undefined {
  if (!settings.httpTls) return undefined;
  const certFile = settings.httpTlsCertFile ?? settings.tlsCertFile;
  const keyFile = settings.httpTlsKeyFile ?? settings.tlsKeyFile;
  return certFile === undefined || keyFile === undefined ? undefined : { certFile, keyFile };
}

/** Settings that cannot work together, found before anything starts. */
export function tlsSettingsProblems(settings: TlsSettings): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const pair = (cert: string, key: string, certValue?: string, keyValue?: string) => {
    if ((certValue === undefined) !== (keyValue === undefined)) {
      problems.push({
        key: certValue === undefined ? cert : key,
        message: `${cert} and ${key} go together: set both or neither`,
      });
    }
  };
  pair('tlsCertFile', 'tlsKeyFile', settings.tlsCertFile, settings.tlsKeyFile);
  pair('httpTlsCertFile', 'httpTlsKeyFile', settings.httpTlsCertFile, settings.httpTlsKeyFile);
  if (settings.httpTls && httpTlsFiles(settings) === undefined) {
    problems.push({
      key: 'httpTls',
      message:
        'HTTPS needs a certificate: set httpTlsCertFile and httpTlsKeyFile, or tlsCertFile and tlsKeyFile',
    });
  }
  if (
    settings.sipTransports.includes('tls') &&
    (settings.tlsCertFile === undefined || settings.tlsKeyFile === undefined)
  ) {
    problems.push({
      key: 'sipTransports',
      message: 'SIP over TLS needs tlsCertFile and tlsKeyFile',
    });
  }
  return problems;
}

/** The files SIP over TLS serves and verifies with, when `tls` is a transport. */
export function sipTlsFiles(
  settings: TlsSettings,
): { certFile: string; keyFile: string; caFile?: string } | undefined {
  if (!settings.sipTransports.includes('tls')) return undefined;
  if (settings.tlsCertFile === undefined || settings.tlsKeyFile === undefined) return undefined;
  return {
    certFile: settings.tlsCertFile,
    keyFile: settings.tlsKeyFile,
    ...(settings.sipTlsCaFile === undefined ? {} : { caFile: settings.sipTlsCaFile }),
  };
}
