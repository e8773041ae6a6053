import { srtpLibraryTool } from '../support/srtp-protector.js';
import { describeSrtpLibraryContract } from '../contract/srtp-library-contract.js';

/** Each SRTP library against the port's contract, the other one as the independent peer. */
const libre = { name: 'libre', library: srtpLibraryTool('libre').library };
const libsrtp2 = { name: 'libsrtp2', library: srtpLibraryTool('libsrtp2').library };

describeSrtpLibraryContract(libre, libsrtp2);
describeSrtpLibraryContract(libsrtp2, libre);
