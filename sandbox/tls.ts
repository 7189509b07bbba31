/**
 * A certificate for the sandbox's HTTPS listeners, made at start. HTTPS is not optional: the Graph
 * client attaches its bearer token only to https URLs.
 */
import selfsigned from 'selfsigned';

export interface SandboxCertificate {
  /** PEM certificate; clients trust it as a CA (self-signed). */
  cert: string;
  key: string;
}

export async function createCertificate(): Promise<SandboxCertificate> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    notAfterDate: new Date(Date.now() + 2 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
