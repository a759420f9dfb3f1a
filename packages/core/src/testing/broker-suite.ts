/**
 * The one suite every Broker passes: the suites of its parts (directory, bus, presence, signals,
 * reports), each on clusters from the same factory. A broker is held to every guarantee of
 * broker.ts; an implementation of one part alone runs that part's suite.
 */
import { describe } from 'node:test';
import { busSuite } from './bus-suite.js';
import { directorySuite } from './directory-suite.js';
import { presenceSuite } from './presence-suite.js';
import { reportsSuite } from './reports-suite.js';
import { signalSuite } from './signal-suite.js';
import type { BrokerCluster, SuiteOptions } from './suite-cluster.js';

/** The Broker contract (broker.ts), for every implementation. */
export function brokerSuite(name: string, make: () => Promise<BrokerCluster>, options: SuiteOptions = {}) {
  describe(`Broker: ${name}`, { skip: options.skip ?? false }, () => {
    directorySuite(name, make, options);
    busSuite(name, make, options);
    presenceSuite(name, make, options);
    signalSuite(name, make, options);
    reportsSuite(name, make, options);
  });
}
