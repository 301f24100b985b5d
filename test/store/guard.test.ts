import t from 'tap';
import { ErrorReply } from 'redis';
import { StoreUnavailableError } from '../../src/errors.js';
import { makeGuard } from '../../src/store/redis/connection.js';

// What a store call fails with: an outage, or the replies of a topology in motion (a failover, a slot moving), are
// StoreUnavailableError (503, retry); any other error reply is a bug (500).
t.test('topology replies are an outage; other error replies stay errors', async (t) => {
  const guard = makeGuard(200);
  const failing = (message: string) => guard(() => Promise.reject(new ErrorReply(message)));
  for (const message of [
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'CLUSTERDOWN The cluster is down',
    'MOVED 3999 127.0.0.1:6381',
    "READONLY You can't write against a read only replica.",
    'ERR WAIT cannot be used with replica instances. Please also note that …',
  ]) {
    await t.rejects(failing(message), StoreUnavailableError, message.slice(0, message.indexOf(' ')));
  }
  const bug = await failing('ERR wrong number of arguments for command').catch((error: unknown) => error);
  t.ok(bug instanceof ErrorReply && !(bug instanceof StoreUnavailableError), 'a bug stays an ErrorReply (500)');
  await t.rejects(
    guard(() => new Promise(() => {})),
    StoreUnavailableError,
    'no answer within the timeout',
  );
});
