// The pcap lab at Debian's default LogLevel INFO (see lab-suite.ts).
import { pcapLabSuite } from './lab-suite.ts';

pcapLabSuite('INFO', 'pi');
