// The analyze lab at LogLevel VERBOSE (`Connection from` lines, every MaxStartups drop, silent
// grace expiries), written in rsyslog's traditional format (`Nov 21 20:22:19 srv sshd[…]: …`,
// Debian ≤ 11 and Ubuntu) so both of rsyslog's usual file formats are read from a real daemon.
import { labSuite } from './lab-suite.ts';

labSuite('VERBOSE', 'av', 'traditional');
