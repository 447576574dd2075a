with source_runs as (
    select * from {{ source('pipeline', 'raw_runs') }}
)

select
    run_id,
    started_at,
    published_at,
    files_received,
    returns_loaded,
    returns_rejected,
    files_duplicate,
    enquiry_files_loaded
from source_runs
