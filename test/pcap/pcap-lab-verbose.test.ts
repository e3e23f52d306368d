// The pcap lab at LogLevel VERBOSE: sshd logs every drop and the grace-time expiry, so nothing is wire-only (see lab-suite.ts).
import { pcapLabSuite } from './lab-suite.ts';

pcapLabSuite('VERBOSE', 'pv');
