-- One row per night that built and published the warehouse: when, as at what
-- moment it judged, and how many files it received, loaded and rejected.
with runs as (
    select * from {{ ref('stg_pipeline__runs') }}
)

select
    run_id,
    started_at,
    built_at,
    as_of,
    files_received,
    returns_loaded,
    returns_rejected,
    files_duplicate,
    enquiry_files_loaded
from runs
