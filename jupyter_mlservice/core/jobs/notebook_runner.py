"""Executes a notebook job: papermill with the job's parameters, output kept in the job folder.

Usage: python -m jupyter_mlservice.core.jobs.notebook_runner IN.ipynb OUT.ipynb PARAMS.json [--kernel K]
"""

import argparse
import json
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("parameters")
    parser.add_argument("--kernel", default=None)
    args = parser.parse_args(argv)
    with open(args.parameters) as f:
        parameters = json.load(f)

    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            args.input,
            args.output,
            parameters=parameters,
            kernel_name=args.kernel,
            cwd=os.getcwd(),
            progress_bar=False,
            log_output=True,
            stdout_file=sys.stdout,
            stderr_file=sys.stderr,
        )
    except PapermillExecutionError as exc:
        print(
            f"\nmlservice: notebook failed in cell {exc.exec_count} ({exc.ename}: {exc.evalue})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
