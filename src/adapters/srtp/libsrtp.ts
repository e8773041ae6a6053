import koffi, { type LibraryHandle } from 'koffi';
import type { LoadedSrtpLibrary, SrtpLibrary, SrtpSession } from './srtp-library.js';
import { SRTP_SUITES, type SrtpKeying, type SrtpSuiteName } from './srtp-suites.js';
import { loadNativeSrtp } from './load-native-library.js';

export const LIBSRTP_SONAME = 'libsrtp2.so.1';
export const LIBSRTP_APT_PACKAGE = 'libsrtp2-1';

/** libsrtp's srtp_err_status_t values this adapter tells apart. */
const STATUS_OK = 0;
const STATUS_AUTH_FAIL = 7;
const STATUS_REPLAY_FAIL = 9;
const STATUS_REPLAY_OLD = 10;
/** srtp_ssrc_type_t */
const SSRC_ANY_INBOUND = 2;
const SSRC_ANY_OUTBOUND = 3;

/**
 * libsrtp's policy setters per suite, for SRTP and SRTCP. For the _32 suite SRTCP keeps the
 * 80-bit tag (RFC 4568 §6.2.2).
 */
const SETTERS: Record<SrtpSuiteName, { rtp: string; rtcp: string }> = {
  AES_CM_128_HMAC_SHA1_80: {
    rtp: 'srtp_crypto_policy_set_rtp_default',
    rtcp: 'srtp_crypto_policy_set_rtcp_default',
  },
  AES_CM_128_HMAC_SHA1_32: {
    rtp: 'srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32',
    rtcp: 'srtp_crypto_policy_set_rtcp_default',
  },
  AEAD_AES_128_GCM: {
    rtp: 'srtp_crypto_policy_set_aes_gcm_128_16_auth',
    rtcp: 'srtp_crypto_policy_set_aes_gcm_128_16_auth',
  },
  AEAD_AES_256_GCM: {
    rtp: 'srtp_crypto_policy_set_aes_gcm_256_16_auth',
    rtcp: 'srtp_crypto_policy_set_aes_gcm_256_16_auth',
  },
};

/**
 * Debian's libsrtp2 through koffi: callscribe only fills policies and calls srtp_unprotect, the
 * cryptography is libsrtp's. Loadable in any thread (the media workers load their own copy of the
 * binding; srtp_init is idempotent).
 */
export function loadLibsrtp(): LoadedSrtpLibrary {
  return loadNativeSrtp(LIBSRTP_SONAME, bind);
}

function bind(lib: LibraryHandle): SrtpLibrary {
  const cryptoPolicy = koffi.struct({
    cipher_type: 'uint32_t',
    cipher_key_len: 'int',
    auth_type: 'uint32_t',
    auth_key_len: 'int',
    auth_tag_len: 'int',
    sec_serv: 'int',
  });
  const policy = koffi.struct({
    ssrc_type: 'int',
    ssrc_value: 'unsigned int',
    rtp: cryptoPolicy,
    rtcp: cryptoPolicy,
    key: 'uint8_t *',
    keys: 'void *',
    num_master_keys: 'unsigned long',
    deprecated_ekt: 'void *',
    window_size: 'unsigned long',
    allow_repeat_tx: 'int',
    enc_xtn_hdr: 'void *',
    enc_xtn_hdr_count: 'int',
    next: 'void *',
  });
  const init = lib.func('srtp_init', 'int', []);
  const create = lib.func('srtp_create', 'int', [
    koffi.out(koffi.pointer('void *')),
    koffi.pointer(policy),
  ]);
  const dealloc = lib.func('srtp_dealloc', 'int', ['void *']);
  const unprotect = lib.func('srtp_unprotect', 'int', ['void *', 'uint8_t *', 'int32_t *']);
  const protect = lib.func('srtp_protect', 'int', ['void *', 'uint8_t *', 'int32_t *']);
  const setters = new Map<string, (p: unknown) => void>();
  for (const pair of Object.values(SETTERS)) {
    for (const name of [pair.rtp, pair.rtcp]) {
      if (!setters.has(name))
        setters.set(name, lib.func(name, 'void', [koffi.out(koffi.pointer(cryptoPolicy))]));
    }
  }
  // srtp_init initialises one process-wide crypto kernel; a second binding in the process (another
  // server, a worker thread, a test peer) gets an error status although the kernel is ready.
  // A probe session below tells the two apart.
  const initStatus = init() as number;

  const cryptoFor = (setter: string): Record<string, number> => {
    const out: Record<string, number> = {};
    const set = setters.get(setter);
    if (set === undefined) throw new Error(`libsrtp has no ${setter}`);
    set(out);
    return out;
  };

  const open = (keying: SrtpKeying, ssrcType: number, run: typeof unprotect): SrtpSession => {
    const suite = SRTP_SUITES[keying.suite];
    if (keying.keyAndSalt.length !== suite.masterKeyBytes + suite.masterSaltBytes)
      throw new Error(
        `${keying.suite} needs a ${suite.masterKeyBytes + suite.masterSaltBytes}-byte key`,
      );
    // libsrtp copies the key into the session in srtp_create; this copy is wiped afterwards.
    const key = Buffer.from(keying.keyAndSalt);
    const handle = [null];
    const status = create(handle, {
      ssrc_type: ssrcType,
      ssrc_value: 0,
      rtp: cryptoFor(SETTERS[keying.suite].rtp),
      rtcp: cryptoFor(SETTERS[keying.suite].rtcp),
      key,
      keys: null,
      num_master_keys: 0,
      deprecated_ekt: null,
      // 0: libsrtp's default replay window (128 packets).
      window_size: 0,
      allow_repeat_tx: 0,
      enc_xtn_hdr: null,
      enc_xtn_hdr_count: 0,
      next: null,
    }) as number;
    key.fill(0);
    const session = handle[0];
    if (status !== STATUS_OK || session === null || session === undefined)
      throw new Error(`srtp_create failed with status ${status}`);
    let live: unknown = session;
    const length = new Int32Array(1);
    return {
      process(packet, len) {
        if (live === null) return 'srtp-invalid';
        length[0] = len;
        const result = run(live, packet, length) as number;
        if (result === STATUS_OK) return length[0] ?? 0;
        if (result === STATUS_AUTH_FAIL) return 'srtp-auth-failed';
        if (result === STATUS_REPLAY_FAIL || result === STATUS_REPLAY_OLD) return 'srtp-replayed';
        return 'srtp-invalid';
      },
      close() {
        if (live === null) return;
        dealloc(live);
        live = null;
      },
    };
  };

  try {
    open(
      { suite: 'AES_CM_128_HMAC_SHA1_80', keyAndSalt: new Uint8Array(30) },
      SSRC_ANY_INBOUND,
      unprotect,
    ).close();
  } catch (error) {
    throw new Error(`srtp_init failed with status ${initStatus}`, { cause: error });
  }

  return {
    inbound: (keying) => open(keying, SSRC_ANY_INBOUND, unprotect),
    outbound: (keying) => open(keying, SSRC_ANY_OUTBOUND, protect),
  };
}
