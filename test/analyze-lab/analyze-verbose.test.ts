// The analyze lab at LogLevel VERBOSE: `Connection from` lines, every MaxStartups drop, silent grace expiries.
import { labSuite } from './lab-suite.ts';

labSuite('VERBOSE', 'av');
