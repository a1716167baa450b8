import t from 'tap'
import { expandSubPathExpr } from '../../../src/sandbox/volumes'
import { ContainerConfigError } from '../../../src/sandbox/container-config-error'

t.test('subPathExpr expands $(VAR) from the container env, as kubelet\'s ExpandContainerVolumeMounts', async (t) => {
  const env = new Map([['POD', 'web-1'], ['NS', 'default'], ['EMPTY', '']])
  t.equal(expandSubPathExpr('$(NS)/$(POD)', env), 'default/web-1')
  t.equal(expandSubPathExpr('plain/path', env), 'plain/path')
  t.equal(expandSubPathExpr('$$(POD)', env), '$(POD)', '$$ escapes, as in env and args')
  t.throws(() => expandSubPathExpr('$(NOPE)/$(EMPTY)/$(POD)/$(ALSO)', env), new ContainerConfigError('missing value for ALSO, EMPTY, NOPE'), 'every variable without a value, sorted')
})
