with source_enquiries as (
    select * from {{ source('pipeline', 'raw_enquiries') }}
)

select
    submission_id,
    enquiry_ref,
    received_date,
    urn,
    theme,
    is_complaint,
    closed_date,
    file_name,
    received_at,
    run_id
from source_enquiries
