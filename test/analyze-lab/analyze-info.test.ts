// The analyze lab at Debian's default LogLevel INFO (see scenarios.ts for what the clients do).
import { labSuite } from './lab-suite.ts';

labSuite('INFO', 'ai');
