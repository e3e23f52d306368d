// The analyze lab at LogLevel VERBOSE (`Connection from` lines, every MaxStartups drop, silent
// grace expiries), with UsePAM no (sshd checks passwords itself: no pam_* lines, no PAM delay),
// written in rsyslog's traditional format (`Nov 21 20:22:19 srv sshd[…]: …`, Debian ≤ 11 and
// Ubuntu), so both of rsyslog's usual file formats and both PAM settings come from a real daemon.
import { labSuite } from './lab-suite.ts';

labSuite('VERBOSE', 'av', 'traditional', false);
