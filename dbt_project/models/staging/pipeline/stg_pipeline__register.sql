with source_register as (
    select * from {{ source('pipeline', 'raw_register') }}
)

select
    urn,
    school_name,
    phase,
    locality,
    opened as opened_on,
    closed as closed_on,
    loaded_at
from source_register
