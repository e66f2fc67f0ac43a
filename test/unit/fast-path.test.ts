import {expect} from 'chai'
import {compileCacheDir} from '../../src/fast-path.js'

describe('where Node\'s module compile cache is kept (bin/ turns it on, Node ≥ 22.1)', () => {
  it('$XDG_CACHE_HOME, else ~/.cache; never the temporary directory', () => {
    expect(compileCacheDir({XDG_CACHE_HOME: '/x/cache'}, () => '/home/u')).to.equal('/x/cache/argo-doctor/node-compile-cache')
    expect(compileCacheDir({}, () => '/home/u')).to.equal('/home/u/.cache/argo-doctor/node-compile-cache')
  })

  it('no home directory (a uid without a passwd entry and no HOME, where os.homedir() throws): no cache, and no error', () => {
    const homedir = () => {
      throw Object.assign(new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'), {code: 'ERR_SYSTEM_ERROR'})
    }
    expect(compileCacheDir({}, homedir)).to.equal(undefined)
  })
})
