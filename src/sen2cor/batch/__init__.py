"""``L2A_Batch``: many L1C products on dask.distributed (docs/batch.md).

``inputs`` finds the products, ``cluster`` starts or reaches the Dask cluster, ``engine`` submits one
task per product and retries a product whose worker died, ``task`` is what a worker runs (the Python API,
:mod:`sen2cor.api`), ``archive`` unpacks .zip products, ``pdgs`` prepares the datastrip of
``--mode process_tile``, ``progress`` and ``summary`` are what the user sees, ``cli`` the command line.
"""
