import { describe, expect, it } from 'vitest';
import { dataDirFlag, databaseUrlFlag, exeDirFor } from '../../electron/main/launch-args.ts';

describe('dataDirFlag', () => {
  it('reads --data-dir=DIR and --data-dir DIR', () => {
    expect(dataDirFlag(['electron', '.', '--data-dir=/tmp/a'])).toBe('/tmp/a');
    expect(dataDirFlag(['Stateward.exe', '--data-dir', 'D:\\data'])).toBe('D:\\data');
  });

  it('keeps = signs and spaces inside the value', () => {
    expect(dataDirFlag(['x', '--data-dir=/tmp/a=b c'])).toBe('/tmp/a=b c');
  });

  it('lets the last occurrence win', () => {
    expect(dataDirFlag(['x', '--data-dir=/a', '--data-dir', '/b'])).toBe('/b');
  });

  it('is absent when missing, empty or without a value', () => {
    expect(dataDirFlag(['electron', '.'])).toBeUndefined();
    expect(dataDirFlag(['x', '--data-dir='])).toBeUndefined();
    expect(dataDirFlag(['x', '--data-dir'])).toBeUndefined();
    expect(dataDirFlag(['x', '--data-dir', '--inspect'])).toBeUndefined();
  });

  it('does not match look-alike flags or arguments after --', () => {
    expect(dataDirFlag(['x', '--data-dirs=/a'])).toBeUndefined();
    expect(dataDirFlag(['x', '---data-dir=/a'])).toBeUndefined();
    expect(dataDirFlag(['x', '--', '--data-dir=/a'])).toBeUndefined();
  });
});

describe('databaseUrlFlag', () => {
  it('reads --database-url=URL and --database-url URL, independently of --data-dir', () => {
    const url = 'postgres://ann@db:5432/control?sslmode=verify-full&schema=team';
    expect(databaseUrlFlag(['x', '--data-dir', '/d', `--database-url=${url}`])).toBe(url);
    expect(databaseUrlFlag(['x', '--database-url', url, '--data-dir=/d'])).toBe(url);
    expect(dataDirFlag(['x', '--database-url', url, '--data-dir=/d'])).toBe('/d');
    expect(databaseUrlFlag(['x', '--data-dir', '/d'])).toBeUndefined();
    expect(databaseUrlFlag(['x', '--', '--database-url', url])).toBeUndefined();
  });
});

describe('exeDirFor', () => {
  it('is null for an unpackaged run (the development Electron binary)', () => {
    expect(
      exeDirFor({
        platform: 'linux',
        exePath: '/repo/node_modules/electron/dist/electron',
        appImage: undefined,
        isPackaged: false,
      }),
    ).toBeNull();
  });

  it('uses the AppImage file folder on Linux, not its temporary mount', () => {
    expect(
      exeDirFor({
        platform: 'linux',
        exePath: '/tmp/.mount_StatewXYZ/stateward',
        appImage: '/media/usb/Stateward-0.1.0.AppImage',
        isPackaged: true,
      }),
    ).toBe('/media/usb');
  });

  it('uses the executable folder for other Linux packages', () => {
    expect(
      exeDirFor({
        platform: 'linux',
        exePath: '/opt/Stateward/stateward',
        appImage: '',
        isPackaged: true,
      }),
    ).toBe('/opt/Stateward');
  });

  it('uses the folder holding the .app bundle on macOS', () => {
    expect(
      exeDirFor({
        platform: 'darwin',
        exePath: '/Volumes/USB/Stateward.app/Contents/MacOS/Stateward',
        appImage: undefined,
        isPackaged: true,
      }),
    ).toBe('/Volumes/USB');
  });

  it('uses the .exe folder on Windows', () => {
    expect(
      exeDirFor({
        platform: 'win32',
        exePath: 'E:\\Stateward\\Stateward.exe',
        appImage: undefined,
        isPackaged: true,
      }),
    ).toBe('E:\\Stateward');
  });
});
