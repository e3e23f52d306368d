/**
 * What a client sent instead of an SSH identification, judged from the (escaped, client-controlled)
 * text sshd quotes. Only ever used to describe a connection, never to take an address from.
 */
export type BannerKind = 'http' | 'tls' | 'rdp' | 'mglndd_probe' | 'empty_line' | 'malformed_ssh' | 'junk';

const HTTP_METHOD = /^(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE|PRI) /;

export function classifyBanner(banner: string | null): BannerKind {
  if (banner === null) return 'junk';
  // sshd escapes bytes as \ooo (and relayed ≤10.2 lines twice: \\ooo).
  const b = banner.replace(/^\\\\/, '\\');
  if (b === '') return 'empty_line';
  if (HTTP_METHOD.test(b) || b.includes(' HTTP/1.') || b.startsWith('HTTP/')) return 'http';
  if (/^\\{1,2}026\\{1,2}003/.test(banner)) return 'tls';
  if (/^\\{1,2}003\\{1,2}000/.test(banner)) return 'rdp';
  if (b.startsWith('MGLNDD_')) return 'mglndd_probe';
  if (b.startsWith('SSH-')) return 'malformed_ssh';
  return 'junk';
}
