import type { SbcProfile } from '../../config/schema.js';
import { cidrMatcher } from './source-allowlist.js';

/** The first profile whose source CIDRs or User-Agent pattern match (config: `sbcProfiles`). */
export function matchSbcProfile(
  profiles: readonly SbcProfile[],
  sourceAddress: string,
  userAgent: string | undefined,
): SbcProfile | undefined {
  return profiles.find((profile) => {
    if (profile.matchSourceCidrs.length > 0 && cidrMatcher(profile.matchSourceCidrs)(sourceAddress))
      return true;
    if (profile.matchUserAgent !== undefined && userAgent !== undefined) {
      try {
        return new RegExp(profile.matchUserAgent).test(userAgent);
      } catch {
        return false;
      }
    }
    return false;
  });
}
