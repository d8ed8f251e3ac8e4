! nnn: the Fortran interface of the nnn reaction-network engine.
!
!   use nnn
!   type(nnn_network_t) :: net
!   call nnn_load_network(net, 'approx21_cr60_plus_co56', ierr)
!   call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr)
!   if (ierr /= NNN_OK) call nnn_error_message(msg)
!   call nnn_free_network(net)
!
!   type(nnn_emulator_t) :: em                         ! the emulator path
!   call nnn_load_emulator(em, net, 'models/', ierr, torch_threads=1)
!   call nnn_burn(net, T, rho, X, dt, eps_nuc, eps_nu, ierr, emulator=em, used_fallback=path)
!   call nnn_free_emulator(em)
!
!   call nnn_burn_history(net, time, temp, rho, X, dt, eps_nuc, eps_nu, ierr, T_end=T_end)  ! a tracer
!   call nnn_burn_self_heating(net, T, rho, X, dt, eps_nuc, eps_nu, ierr)            ! T inout
!
! See nnn_network.f90 (loading, isotopes, status codes, error messages),
! nnn_emulation.f90 (emulator models), nnn_burn.f90 (burn calls),
! nnn_burn_modes.f90 (history and self-heating burns) and
! docs/fortran.md.
module nnn
  use nnn_network
  use nnn_emulation
  use nnn_burning
  use nnn_burn_modes
  implicit none
  public
end module nnn
