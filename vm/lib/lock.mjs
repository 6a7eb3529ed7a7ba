// A per-kernel lock around the build directory and the initramfs cache:
// several engineers run the harness in the same checkout at the same time.
import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { log } from './log.mjs';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function withLock(path, fn) {
  let announced = false;
  let unreadable = 0;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = 0;
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        continue; // released meanwhile
      }
      if (!pid && ++unreadable < 20) {
        await sleep(50); // the holder has not written its pid yet
        continue;
      }
      if (!pid || !alive(pid)) {
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it
        }
        continue;
      }
      if (!announced) log.info(`waiting for ${path} (held by pid ${pid})`);
      announced = true;
      await sleep(300);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}
