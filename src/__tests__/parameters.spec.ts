import { notebookParameters, parseParameters, pythonLiteralToJSON } from '../parameters';

describe('parameters cell', () => {
  it('reads simple literals, comments and annotations', () => {
    const source = [
      '# Parameters',
      'alpha = 0.5  # learning rate',
      'epochs: int = 10',
      "name = 'run #1'",
      'flag = True',
      'nothing = None',
      'layers = [64, 32]',
      "opts = {'a': 1, 'b': False}",
      'derived = alpha * 2'
    ].join('\n');
    expect(parseParameters(source)).toEqual({
      alpha: 0.5,
      epochs: 10,
      name: 'run #1',
      flag: true,
      nothing: null,
      layers: [64, 32],
      opts: { a: 1, b: false }
    });
  });

  it('leaves expressions out', () => {
    expect(pythonLiteralToJSON('np.arange(3)')).toBeUndefined();
  });

  it('finds the cell tagged parameters in a notebook', () => {
    const content = {
      cells: [
        { cell_type: 'code', source: 'x = 1', metadata: {} },
        { cell_type: 'code', source: ['lr = 0.1\n', 'steps = 5\n'], metadata: { tags: ['parameters'] } }
      ]
    };
    expect(notebookParameters(content)).toEqual({ lr: 0.1, steps: 5 });
    expect(notebookParameters({ cells: [] })).toEqual({});
  });
});
