with source_runs as (
    select * from {{ source('pipeline', 'raw_runs') }}
)

select
    run_id,
    started_at,
    -- written as the night's warehouse is built, minutes before it is published
    published_at as built_at,
    as_of,
    files_received,
    returns_loaded,
    returns_rejected,
    files_duplicate,
    enquiry_files_loaded
from source_runs
