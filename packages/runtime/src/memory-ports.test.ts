import { rateLimiterContract, uploadLockerContract } from './ports.contract.ts';
import { MemoryRateLimiter } from './rate-limiter.ts';
import { MemoryUploadLocker } from './upload-locker.ts';

rateLimiterContract('memory', async () => new MemoryRateLimiter());
uploadLockerContract('memory', async (options) => new MemoryUploadLocker(options));
