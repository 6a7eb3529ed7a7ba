// The default binding: @kchan/native itself (a KchanBinding).
import * as native from '@kchan/native';
import type { UmmunotifyBinding } from './binding.js';

export function nativeBinding(): UmmunotifyBinding {
  return native;
}
