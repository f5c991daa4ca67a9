import type { CspDirectives } from './internal/csp.js';
import type { PermissionsAllowlist } from './internal/fields.js';

/** Preset names. */
export type SecurityPreset = 'helmet' | 'owasp' | 'api';

/** Referrer-Policy tokens. */
export type ReferrerPolicyToken =
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'same-origin'
  | 'origin'
  | 'strict-origin'
  | 'origin-when-cross-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';

/** Strict-Transport-Security options. */
export interface HstsOptions {
  /** max-age in seconds. Default: the preset's (helmet 1 year, owasp/api 2 years). */
  maxAgeSec?: number;
  /** Adds includeSubDomains. Default true. */
  includeSubDomains?: boolean;
  /** Adds preload (needs includeSubDomains and maxAgeSec >= 31536000). Default false. */
  preload?: boolean;
}

/** A fully resolved header configuration (what a preset is): `false` means the header is not sent. */
export interface ResolvedConfig {
  csp: { directives: CspDirectives } | false;
  coep: string | false;
  coop: string | false;
  corp: string | false;
  originAgentCluster: boolean;
  referrerPolicy: readonly string[] | false;
  hsts: Required<HstsOptions> | false;
  xContentTypeOptions: boolean;
  xDnsPrefetchControl: 'on' | 'off' | false;
  xDownloadOptions: boolean;
  xFrameOptions: 'DENY' | 'SAMEORIGIN' | false;
  xPermittedCrossDomainPolicies: string | false;
  xXssProtection: boolean;
  permissionsPolicy: Readonly<Record<string, PermissionsAllowlist>> | false;
  cacheControl: string | false;
  remove: readonly string[];
}

/** The OWASP Secure Headers Project deny list (every powerful feature off; sync-xhr kept for same-origin). */
export const PERMISSIONS_DENY_ALL: Readonly<Record<string, PermissionsAllowlist>> = Object.freeze({
  accelerometer: [],
  autoplay: [],
  camera: [],
  'cross-origin-isolated': [],
  'display-capture': [],
  'encrypted-media': [],
  fullscreen: [],
  geolocation: [],
  gyroscope: [],
  'keyboard-map': [],
  magnetometer: [],
  microphone: [],
  midi: [],
  payment: [],
  'picture-in-picture': [],
  'publickey-credentials-get': [],
  'screen-wake-lock': [],
  'sync-xhr': ['self'],
  usb: [],
  'web-share': [],
  'xr-spatial-tracking': [],
  'clipboard-read': [],
  'clipboard-write': [],
  gamepad: [],
  hid: [],
  'idle-detection': [],
  'interest-cohort': [],
  serial: [],
  unload: [],
});

const TWO_YEARS = 63_072_000;
const REMOVE_ALL = Object.freeze(['X-Powered-By', 'Server', 'X-AspNet-Version', 'X-AspNetMvc-Version']);

/** The three presets, fully resolved. See the README table for where and why they differ. */
export const PRESETS: Readonly<Record<SecurityPreset, Readonly<ResolvedConfig>>> = Object.freeze({
  helmet: Object.freeze<ResolvedConfig>({
    csp: {
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'font-src': ["'self'", 'https:', 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'", 'https:', "'unsafe-inline'"],
        'upgrade-insecure-requests': true,
      },
    },
    coep: false,
    coop: 'same-origin',
    corp: 'same-origin',
    originAgentCluster: true,
    referrerPolicy: ['no-referrer'],
    hsts: { maxAgeSec: 31_536_000, includeSubDomains: true, preload: false },
    xContentTypeOptions: true,
    xDnsPrefetchControl: 'off',
    xDownloadOptions: true,
    xFrameOptions: 'SAMEORIGIN',
    xPermittedCrossDomainPolicies: 'none',
    xXssProtection: true,
    permissionsPolicy: false,
    cacheControl: false,
    remove: Object.freeze(['X-Powered-By']),
  }),
  owasp: Object.freeze<ResolvedConfig>({
    csp: {
      directives: {
        'default-src': ["'self'"],
        'form-action': ["'self'"],
        'base-uri': ["'self'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': true,
      },
    },
    coep: 'require-corp',
    coop: 'same-origin',
    corp: 'same-origin',
    originAgentCluster: false,
    referrerPolicy: ['no-referrer'],
    hsts: { maxAgeSec: TWO_YEARS, includeSubDomains: true, preload: false },
    xContentTypeOptions: true,
    xDnsPrefetchControl: 'off',
    xDownloadOptions: false,
    xFrameOptions: 'DENY',
    xPermittedCrossDomainPolicies: 'none',
    xXssProtection: false,
    permissionsPolicy: PERMISSIONS_DENY_ALL,
    cacheControl: 'no-store, max-age=0',
    remove: REMOVE_ALL,
  }),
  api: Object.freeze<ResolvedConfig>({
    csp: { directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    coep: false,
    coop: false,
    corp: 'same-origin',
    originAgentCluster: false,
    referrerPolicy: ['no-referrer'],
    hsts: { maxAgeSec: TWO_YEARS, includeSubDomains: true, preload: false },
    xContentTypeOptions: true,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: 'DENY',
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    permissionsPolicy: false,
    cacheControl: 'no-store',
    remove: REMOVE_ALL,
  }),
});

/** Values used when an option is `true` but the preset leaves that header off. */
export const HEADER_DEFAULTS: Readonly<ResolvedConfig> = Object.freeze<ResolvedConfig>({
  ...PRESETS.owasp,
  coep: 'require-corp',
  originAgentCluster: true,
  xDnsPrefetchControl: 'off',
  xDownloadOptions: true,
  xXssProtection: true,
});
