// The pictures of the site: each has a page under site/pictures/ and an SVG written to public/pictures/.
import { adapterPathSvg } from './adapter-path.js';
import { breakerStatesSvg } from './breaker-states.js';
import { keyRotationSvg } from './key-rotation.js';
import { shutdownSvg } from './shutdown.js';

/** One picture: its SVG file, its page, the packages whose guides link to it. */
export interface Picture {
  file: string;
  page: string;
  title: string;
  packages: readonly string[];
  render: () => string;
}

export const PICTURES: readonly Picture[] = [
  {
    file: 'breaker-states.svg',
    page: 'breaker-states',
    title: 'the breaker state machine',
    packages: ['breaker'],
    render: breakerStatesSvg,
  },
  {
    file: 'request-path.svg',
    page: 'request-path',
    title: 'the path of a request through an adapter',
    packages: ['express', 'fastify', 'hono', 'headers', 'ratelimit'],
    render: adapterPathSvg,
  },
  {
    file: 'key-rotation.svg',
    page: 'key-rotation',
    title: 'a key rotation timeline',
    packages: ['crypto'],
    render: keyRotationSvg,
  },
  {
    file: 'graceful-shutdown.svg',
    page: 'graceful-shutdown',
    title: 'health probes during a graceful shutdown',
    packages: ['health'],
    render: shutdownSvg,
  },
];
