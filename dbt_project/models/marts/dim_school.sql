-- The LA's register of mainstream schools, as the marts describe them.
with register as (
    select * from {{ ref('stg_pipeline__register') }}
)

select
    urn,
    school_name,
    phase,
    locality,
    opened_on,
    closed_on
from register
